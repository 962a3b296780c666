using System.Net;
using Microsoft.Extensions.Logging;
using Strata.Proxy.Model;
using Strata.Proxy.Sync;

namespace Strata.Proxy.Health;

/// <summary>
/// The health check node ports of <c>externalTrafficPolicy: Local</c> load balancers (upstream's ServiceHealthServer,
/// pkg/proxy/healthcheck/service_health.go): one HTTP server per Service with a healthCheckNodePort, on each node address
/// (every address unless --nodeport-addresses narrows them), answering 200 while this node has ready local endpoints and
/// the proxy is healthy, 503 otherwise, so that a load balancer sends traffic only to nodes that keep it local.
/// </summary>
public sealed class ServiceHealthServer(
    IReadOnlyList<IPAddress> addresses,
    ProxyHealthTracker health,
    ILoggerFactory loggers,
    ListenSocketFactory? bind = null) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly ILogger _logger = loggers.CreateLogger("Strata.Proxy.ServiceHealth");
    private readonly Dictionary<string, Instance> _services = new(StringComparer.Ordinal);

    /// <summary>
    /// Told of a health check port that could not be opened: the Service's <c>namespace/name</c>, the port and why.
    /// The proxy role turns it into upstream's FailedToStartServiceHealthcheck Event.
    /// </summary>
    public Action<string, int, string>? ListenFailed { get; set; }

    /// <summary>The Services served now and their ports, by <c>namespace/name</c>.</summary>
    public IReadOnlyDictionary<string, int> Ports
    {
        get
        {
            lock (_lock)
            {
                return _services.ToDictionary(kv => kv.Key, kv => kv.Value.Port, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// What upstream's proxier hands the server after each successful sync: the health check node port of every Service
    /// that has one (HealthCheckNodePorts), and per Service the number of distinct IPs of its ready endpoints on this node,
    /// over all its ports (LocalReadyEndpoints; terminating ones do not count, so a draining node fails the check). Pure.
    /// </summary>
    public static (Dictionary<string, int> Ports, Dictionary<string, int> LocalEndpoints) Inputs(ProxySnapshot snapshot)
    {
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, info) in snapshot.Services)
        {
            if (info.HealthCheckNodePort != 0)
            {
                ports[name.ServiceKey] = info.HealthCheckNodePort;
            }
        }

        var local = snapshot.Endpoints
            .SelectMany(kv => kv.Value.Where(e => e.IsLocal && e.Ready).Select(e => (kv.Key.ServiceKey, e.Ip)))
            .Distinct()
            .GroupBy(p => p.ServiceKey, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return (ports, local);
    }

    /// <summary>Applies a successful sync: closes the servers of Services gone or moved, opens new ones, updates the counts.</summary>
    public async Task SyncAsync(ProxySnapshot snapshot)
    {
        var (ports, local) = Inputs(snapshot);
        await SyncServicesAsync(ports);
        SyncEndpoints(local);
    }

    /// <summary>
    /// Opens a server for each new Service, closes those of Services no longer listed or with another port. A port that
    /// cannot be opened is logged and tried again at the next sync (the Service is left out until then).
    /// </summary>
    public async Task SyncServicesAsync(IReadOnlyDictionary<string, int> ports)
    {
        List<Instance> closing;
        List<(string Key, int Port)> opening;
        lock (_lock)
        {
            closing = [.. _services.Where(kv => !ports.TryGetValue(kv.Key, out var port) || port != kv.Value.Port).Select(kv => kv.Value)];
            foreach (var gone in closing)
            {
                _services.Remove(gone.Key);
            }

            opening = [.. ports.Where(kv => !_services.ContainsKey(kv.Key)).Select(kv => (kv.Key, kv.Value))];
        }

        foreach (var gone in closing)
        {
            ProxyLog.HealthCheckClosing(_logger, gone.Key, gone.Port);
            await gone.CloseAsync();
        }

        foreach (var (key, port) in opening)
        {
            var instance = new Instance(key, port);
            try
            {
                foreach (var address in addresses)
                {
                    instance.Servers.Add(await HealthHttpServer.StartAsync(new IPEndPoint(address, port), _ => instance.Respond(health), loggers, bind));
                }
            }
            catch (IOException e)
            {
                ProxyLog.HealthCheckFailed(_logger, key, port, e.Message);
                ListenFailed?.Invoke(key, port, e.Message);
                await instance.CloseAsync();
                continue;
            }

            ProxyLog.HealthCheckOpened(_logger, key, port);
            lock (_lock)
            {
                _services[key] = instance;
            }
        }
    }

    /// <summary>The local ready endpoint counts; a served Service missing from the map has none.</summary>
    public void SyncEndpoints(IReadOnlyDictionary<string, int> counts)
    {
        lock (_lock)
        {
            foreach (var (key, instance) in _services)
            {
                instance.Endpoints = counts.GetValueOrDefault(key);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Instance> all;
        lock (_lock)
        {
            all = [.. _services.Values];
            _services.Clear();
        }

        foreach (var instance in all)
        {
            await instance.CloseAsync();
        }
    }

    private sealed class Instance(string key, int port)
    {
        private volatile int _endpoints;

        public string Key { get; } = key;

        public int Port { get; } = port;

        public List<HealthHttpServer> Servers { get; } = [];

        public int Endpoints
        {
            get => _endpoints;
            set => _endpoints = value;
        }

        public HealthResponse Respond(ProxyHealthTracker health)
        {
            var slash = Key.IndexOf('/', StringComparison.Ordinal);
            return HealthResponse.Service(Key[..slash], Key[(slash + 1)..], Endpoints, health.Health().Healthy);
        }

        public async Task CloseAsync()
        {
            foreach (var server in Servers)
            {
                await server.DisposeAsync();
            }

            Servers.Clear();
        }
    }
}
