using Microsoft.Extensions.Logging;

namespace Strata.Proxy.Sync;

internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Synced iptables rules ({Kind}): {Services} service ports, {Endpoints} endpoints, {FilterRules} filter rules, {NatRules} nat rules, {Deleted} stale chains deleted in {ElapsedMs} ms")]
    public static partial void Synced(ILogger logger, string kind, int services, int endpoints, int filterRules, int natRules, int deleted, long elapsedMs);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "Sync failed, the rules in place are kept; retrying with a full sync in {RetrySeconds} s: {Error}")]
    public static partial void SyncFailed(ILogger logger, double retrySeconds, string error);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "conntrack clean-up {Filter} failed: {Error}")]
    public static partial void ConntrackFailed(ILogger logger, Strata.Netfilter.ConntrackFilter filter, string error);

    [LoggerMessage(EventId = 903, Level = LogLevel.Debug, Message = "Deleted {Count} conntrack entries ({Filter})")]
    public static partial void ConntrackDeleted(ILogger logger, int count, Strata.Netfilter.ConntrackFilter filter);

    [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "Set sysctl {Key}={Value}")]
    public static partial void SysctlSet(ILogger logger, string key, string value);

    [LoggerMessage(EventId = 905, Level = LogLevel.Warning, Message = "The canary chain KUBE-PROXY-CANARY is gone from table {Table}: the rules were flushed, doing a full sync")]
    public static partial void CanaryGone(ILogger logger, string table);

    [LoggerMessage(EventId = 906, Level = LogLevel.Information, Message = "Proxy role for node {Node} waiting for Services and EndpointSlices")]
    public static partial void Waiting(ILogger logger, string node);

    [LoggerMessage(EventId = 907, Level = LogLevel.Information, Message = "Opened the health check for {Service} on port {Port}")]
    public static partial void HealthCheckOpened(ILogger logger, string service, int port);

    [LoggerMessage(EventId = 908, Level = LogLevel.Information, Message = "Closing the health check for {Service} on port {Port}")]
    public static partial void HealthCheckClosing(ILogger logger, string service, int port);

    [LoggerMessage(EventId = 909, Level = LogLevel.Error, Message = "Failed to start the health check for {Service} on port {Port} (retried at the next sync): {Error}")]
    public static partial void HealthCheckFailed(ILogger logger, string service, int port, string error);

    [LoggerMessage(EventId = 910, Level = LogLevel.Information, Message = "Serving /healthz and /livez on {Address}")]
    public static partial void HealthzServing(ILogger logger, System.Net.IPEndPoint address);
}
