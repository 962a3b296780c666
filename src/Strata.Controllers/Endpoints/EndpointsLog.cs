using Microsoft.Extensions.Logging;

namespace Strata.Controllers.Endpoints;

internal static partial class EndpointsLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "EndpointSlices of Service {Service}: {Created} created, {Updated} updated, {Deleted} deleted")]
    public static partial void SlicesWritten(ILogger logger, string service, int created, int updated, int deleted);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Deleted EndpointSlice {Slice} of Service {Service}, which is gone or has no selector")]
    public static partial void OrphanSliceDeleted(ILogger logger, string slice, string service);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Service {Service}: {Reason}")]
    public static partial void PodSkipped(ILogger logger, string service, string reason);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Endpoints {Endpoints}: {Ready} ready and {NotReady} not ready addresses written")]
    public static partial void EndpointsWritten(ILogger logger, string endpoints, int ready, int notReady);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Deleted Endpoints {Endpoints}: its Service is gone")]
    public static partial void EndpointsDeleted(ILogger logger, string endpoints);
}
