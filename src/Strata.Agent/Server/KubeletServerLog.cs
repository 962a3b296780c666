using Microsoft.Extensions.Logging;

namespace Strata.Agent.Server;

internal static partial class KubeletServerLog
{
    [LoggerMessage(7500, LogLevel.Information, "kubelet server listening on https://{Endpoint}")]
    public static partial void Serving(ILogger logger, string endpoint);

    [LoggerMessage(7501, LogLevel.Debug, "{Method} {Path}{Query} -> {Status}")]
    public static partial void Request(ILogger logger, string method, string path, string query, int status);

    [LoggerMessage(7502, LogLevel.Error, "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(7503, LogLevel.Debug, "exec {Namespace}/{Pod}/{Container} [{Command}] over {Protocol}, tty={Tty}")]
    public static partial void ExecStarted(ILogger logger, string @namespace, string pod, string container, string command, string protocol, bool tty);

    [LoggerMessage(7504, LogLevel.Debug, "exec {Namespace}/{Pod}/{Container} [{Command}] ended: exit code {ExitCode}, error {Error}")]
    public static partial void ExecEnded(ILogger logger, string @namespace, string pod, string container, string command, int? exitCode, string? error);

    [LoggerMessage(7505, LogLevel.Information, "exec {Namespace}/{Pod}/{Container} [{Command}]: the client went away or the server is stopping, killing pid {Pid}")]
    public static partial void ExecAbandoned(ILogger logger, string @namespace, string pod, string container, string command, int pid);

    [LoggerMessage(7506, LogLevel.Debug, "exec refused: none of the offered subprotocols [{Offered}] is supported")]
    public static partial void ProtocolRefused(ILogger logger, string offered);

    [LoggerMessage(7507, LogLevel.Debug, "log of {Namespace}/{Pod}/{Container} from {Path}: follow={Follow} stopped: {Reason}")]
    public static partial void LogStreamEnded(ILogger logger, string @namespace, string pod, string container, string path, bool follow, string reason);
}
