using Microsoft.Extensions.Logging;

namespace Strata.Agent.Agnhost;

/// <summary>agnhost's log lines, worded as upstream's (test/images/agnhost). EventIds 7800-7899.</summary>
internal static partial class AgnhostLog
{
    [LoggerMessage(7800, LogLevel.Information, "Started HTTP server on port {Port}")]
    public static partial void StartedHttp(ILogger logger, int port);

    [LoggerMessage(7801, LogLevel.Information, "Started UDP server on port {Address} {Port}")]
    public static partial void StartedUdp(ILogger logger, string address, int port);

    [LoggerMessage(7802, LogLevel.Information, "{Method} {Request}")]
    public static partial void Request(ILogger logger, string method, string request);

    [LoggerMessage(7803, LogLevel.Information, "Sending udp hostName response")]
    public static partial void UdpHostname(ILogger logger);

    [LoggerMessage(7804, LogLevel.Information, "Echoing {Message} to UDP client {Client}")]
    public static partial void UdpEcho(ILogger logger, string message, string client);

    [LoggerMessage(7805, LogLevel.Information, "Sending clientip back to UDP client {Client}")]
    public static partial void UdpClientIp(ILogger logger, string client);

    [LoggerMessage(7806, LogLevel.Information, "Unknown UDP command received from {Client}: {Text}")]
    public static partial void UdpUnknown(ILogger logger, string client, string text);

    [LoggerMessage(7807, LogLevel.Information, "UDP server exited")]
    public static partial void UdpExited(ILogger logger);

    [LoggerMessage(7808, LogLevel.Information, "Output: {Output}")]
    public static partial void ShellOutput(ILogger logger, string output);

    [LoggerMessage(7809, LogLevel.Information, "Will begin shutdown in {Wait}, allowing {Timeout} for connections to close, then will exit with {Code}")]
    public static partial void WillShutDown(ILogger logger, string wait, string timeout, int code);

    [LoggerMessage(7810, LogLevel.Information, "Graceful shutdown completed with: {Error}")]
    public static partial void ShutdownCompleted(ILogger logger, string error);

    [LoggerMessage(7811, LogLevel.Information, "Sleeping {Seconds} seconds before terminating...")]
    public static partial void DelayingShutdown(ILogger logger, int seconds);

    [LoggerMessage(7812, LogLevel.Information, "Serving on port {Port}.")]
    public static partial void ServingHostname(ILogger logger, int port);

    [LoggerMessage(7813, LogLevel.Information, "HTTP request from {Client}")]
    public static partial void HostnameHttp(ILogger logger, string client);

    [LoggerMessage(7814, LogLevel.Information, "TCP request from {Client}")]
    public static partial void HostnameTcp(ILogger logger, string client);

    [LoggerMessage(7815, LogLevel.Information, "UDP request from {Client}")]
    public static partial void HostnameUdp(ILogger logger, string client);

    [LoggerMessage(7816, LogLevel.Information, "Shutting down after receiving signal: {Signal}.")]
    public static partial void HostnameSignal(ILogger logger, string signal);

    [LoggerMessage(7817, LogLevel.Information, "Awaiting pod deletion.")]
    public static partial void AwaitingDeletion(ILogger logger);

    [LoggerMessage(7818, LogLevel.Information, "Error occurred: {Detail}:{Error}")]
    public static partial void Fatal(ILogger logger, string detail, string error);
}
