using System.Net;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Dns.Cluster;
using Strata.Dns.Configuration;

namespace Strata.Dns.Serving;

/// <summary>What <c>strata dns</c> is started with.</summary>
public sealed record DnsServiceOptions
{
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 53);

    /// <summary>Configuration keys given on the command line (<see cref="DnsConfig"/>'s keys); the ConfigMap's override them.</summary>
    public IReadOnlyDictionary<string, string> Flags { get; init; } = new Dictionary<string, string>();

    /// <summary>The ConfigMap read and watched for configuration, "namespace/name"; null for none.</summary>
    public string? ConfigMap { get; init; } = "kube-system/strata-dns";

    public string ResolvConf { get; init; } = "/etc/resolv.conf";
}

/// <summary>
/// The cluster DNS server: informers feeding <see cref="ClusterIndex"/>, the ConfigMap watched for configuration
/// (an invalid one is logged and the last good one keeps serving), and <see cref="DnsServer"/> answering.
/// </summary>
public sealed class DnsService : IAsyncDisposable
{
    private readonly ClusterIndex _index;
    private readonly DnsHandler _handler;
    private readonly DnsServiceOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Informer<V1ConfigMap>? _configMaps;
    private readonly string? _configMapNamespace;
    private readonly string? _configMapName;
    private Task? _configMapTask;
    private DnsServer? _server;

    private DnsService(IKubeClient client, DnsServiceOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _logger = loggers.CreateLogger("Strata.Dns");
        _index = new ClusterIndex(client, loggers);
        _handler = new DnsHandler(() => _index.Current, _logger);
        if (options.ConfigMap is { } key)
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == key.Length - 1)
            {
                throw new DnsConfigException($"--config-map \"{key}\" is not namespace/name");
            }

            _configMapNamespace = key[..slash];
            _configMapName = key[(slash + 1)..];
            _configMaps = new Informer<V1ConfigMap>(client, new ListRequest(_configMapNamespace), loggers.CreateLogger("Strata.Dns.Informer.ConfigMap"));
            _configMaps.AddHandler(c => Reconfigure(c), (_, c) => Reconfigure(c), c => Reconfigure(c, deleted: true));
        }
    }

    public IPEndPoint Endpoint => _server?.Endpoint ?? throw new InvalidOperationException("not started");

    public DnsConfig Config => _handler.Runtime.Config;

    public ClusterIndex Index => _index;

    /// <summary>
    /// Validates the flags (a bad one throws <see cref="DnsConfigException"/>), binds the listeners and starts the
    /// informers. The server answers at once: SERVFAIL for cluster names until the informers have listed.
    /// </summary>
    public static Task<DnsService> StartAsync(IKubeClient client, DnsServiceOptions options, ILoggerFactory? loggers = null)
    {
        var service = new DnsService(client, options, loggers ?? NullLoggerFactory.Instance);
        service._handler.Apply(service.Parse(null));
        service._server = DnsServer.Start(options.Listen, service._handler, service._logger);
        service._index.Start();
        if (service._configMaps is { } informer)
        {
            // Not waited for: until the API answers, cluster names are SERVFAIL and other names are forwarded with the flags' configuration.
            service._configMapTask = Task.Run(() => informer.RunAsync(service._stop.Token));
        }

        service._index.Published += service.FirstSync;

        DnsServiceLog.Listening(service._logger, service.Endpoint, service.Config);
        return Task.FromResult(service);
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _index.WaitForSyncAsync(cancellationToken);

    private void FirstSync(ClusterSnapshot snapshot)
    {
        _index.Published -= FirstSync;
        DnsServiceLog.Synced(_logger, snapshot.Services.Count, snapshot.Namespaces.Count);
    }

    private DnsConfig Parse(V1ConfigMap? configMap)
    {
        var data = new Dictionary<string, string>(_options.Flags);
        foreach (var (key, value) in configMap?.Data ?? new Dictionary<string, string>())
        {
            data[key] = value;
        }

        var source = configMap is null ? "flags" : $"ConfigMap {_configMapNamespace}/{_configMapName}";
        return DnsConfig.Parse(data, source, () => DnsConfig.ResolvConfNameservers(_options.ResolvConf));
    }

    private void Reconfigure(V1ConfigMap configMap, bool deleted = false)
    {
        if (configMap.Metadata.Name != _configMapName)
        {
            return;
        }

        try
        {
            var config = Parse(deleted ? null : configMap);
            if (config != _handler.Runtime.Config)
            {
                _handler.Apply(config);
                DnsServiceLog.Reconfigured(_logger, config);
            }
        }
        catch (DnsConfigException e)
        {
            DnsServiceLog.BadConfig(_logger, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_configMapTask is not null)
        {
            try
            {
                await _configMapTask;
            }
            catch (OperationCanceledException)
            {
            }
        }

        try
        {
            // A receive loop that failed rethrows here; the watches and the forwarder stop all the same.
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
        finally
        {
            await _index.DisposeAsync();
            await _handler.Runtime.Forwarder.DisposeAsync();
            _stop.Dispose();
        }
    }
}

internal static partial class DnsServiceLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving DNS on {Endpoint} (UDP and TCP): {Config}")]
    public static partial void Listening(ILogger logger, IPEndPoint endpoint, DnsConfig config);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "new configuration: {Config}")]
    public static partial void Reconfigured(ILogger logger, DnsConfig config);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "synced with the API: {Services} services in {Namespaces} namespaces; answering cluster names")]
    public static partial void Synced(ILogger logger, int services, int namespaces);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "{Reason}; the last good configuration keeps serving")]
    public static partial void BadConfig(ILogger logger, string reason);
}
