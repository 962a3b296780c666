using Microsoft.Extensions.Logging;

namespace Strata.Lab;

/// <summary>The lab's log messages (EventIds 7000-7199).</summary>
internal static partial class LabLog
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Lab {Lab}: {Step}")]
    public static partial void Step(ILogger logger, string lab, string step);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Lab {Lab}: removing the leftovers of a lab that is no longer running (state in {StateDirectory})")]
    public static partial void CleaningLeftovers(ILogger logger, string lab, string stateDirectory);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Lab {Lab}: created {Kind} {What}")]
    public static partial void Created(ILogger logger, string lab, string kind, string what);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Lab {Lab}: started {Role} (pid {Pid})")]
    public static partial void Started(ILogger logger, string lab, string role, int pid);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Lab {Lab}: stopping {Role} (pid {Pid}) with {Signal}")]
    public static partial void Stopping(ILogger logger, string lab, string role, int pid, string signal);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Debug, Message = "Lab {Lab}: {Role} (pid {Pid}) is already gone or its pid was reused")]
    public static partial void AlreadyGone(ILogger logger, string lab, string role, int pid);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Debug, Message = "Lab {Lab}: removed {Kind} {What}")]
    public static partial void Removed(ILogger logger, string lab, string kind, string what);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Lab {Lab}: kept {Path}: {Reason}")]
    public static partial void KeptHostPath(ILogger logger, string lab, string path, string reason);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Warning, Message = "Lab {Lab}: {What} failed: {Error}")]
    public static partial void TeardownStepFailed(ILogger logger, string lab, string what, string error);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "Lab {Lab}: waiting for {What}: {Detail}")]
    public static partial void Waiting(ILogger logger, string lab, string what, string detail);
}
