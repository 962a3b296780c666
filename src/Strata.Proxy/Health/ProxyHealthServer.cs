using System.Net;
using Microsoft.Extensions.Logging;

namespace Strata.Proxy.Health;

/// <summary>
/// kube-proxy's own health server (--healthz-bind-address, 0.0.0.0:10256 by default): /healthz and /livez as upstream's
/// ProxyHealthServer.Run serves them; any other path is Go's 404.
/// </summary>
public static class ProxyHealthServer
{
    public const string DefaultBindAddress = "0.0.0.0:10256";

    public static HealthResponse Respond(string path, ProxyHealthTracker health) => path switch
    {
        "/healthz" => HealthResponse.Healthz(health.Health(), health.NodeEligible()),
        "/livez" => HealthResponse.Livez(health.Health()),
        _ => HealthResponse.NotFound,
    };

    public static Task<HealthHttpServer> StartAsync(IPEndPoint endpoint, ProxyHealthTracker health, ILoggerFactory loggers, ListenSocketFactory? bind = null) =>
        HealthHttpServer.StartAsync(endpoint, path => Respond(path, health), loggers, bind);
}
