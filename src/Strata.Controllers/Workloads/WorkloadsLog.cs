using Microsoft.Extensions.Logging;

namespace Strata.Controllers.Workloads;

internal static partial class WorkloadsLog
{
    [LoggerMessage(EventId = 150, Level = LogLevel.Debug, Message = "{Kind} {Key}: creating {Count} pods")]
    public static partial void CreatingPods(ILogger logger, string kind, string key, int count);

    [LoggerMessage(EventId = 151, Level = LogLevel.Debug, Message = "{Kind} {Key}: deleting {Count} pods")]
    public static partial void DeletingPods(ILogger logger, string kind, string key, int count);

    [LoggerMessage(EventId = 152, Level = LogLevel.Debug, Message = "{Kind} {Key}: skipped {Count} pod creations after a failure")]
    public static partial void SkippedCreations(ILogger logger, string kind, string key, int count);

    [LoggerMessage(EventId = 153, Level = LogLevel.Information, Message = "{Kind} {Owner} adopted {Child}")]
    public static partial void Adopted(ILogger logger, string kind, string owner, string child);

    [LoggerMessage(EventId = 154, Level = LogLevel.Information, Message = "{Kind} {Owner} released {Child}")]
    public static partial void Released(ILogger logger, string kind, string owner, string child);

    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "deployment {Key}: scaled replica set {ReplicaSet} from {From} to {To}")]
    public static partial void Scaled(ILogger logger, string key, string replicaSet, int from, int to);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "deployment {Key}: created replica set {ReplicaSet}")]
    public static partial void CreatedReplicaSet(ILogger logger, string key, string replicaSet);

    [LoggerMessage(EventId = 162, Level = LogLevel.Warning, Message = "deployment {Key}: replica set name {ReplicaSet} collides with another template, collision count now {Count}")]
    public static partial void HashCollision(ILogger logger, string key, string replicaSet, int count);

    [LoggerMessage(EventId = 163, Level = LogLevel.Information, Message = "deployment {Key}: deleting old replica set {ReplicaSet} (revision history limit)")]
    public static partial void CleaningUp(ILogger logger, string key, string replicaSet);
}
