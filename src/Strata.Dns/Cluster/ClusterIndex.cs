using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Dns.Cluster;

/// <summary>
/// Informers over Namespaces, Services, EndpointSlices and Pods, rebuilt into a new <see cref="ClusterSnapshot"/>
/// after every batch of changes (CoreDNS's controller.go: the informer-fed index, kept apart from answering).
/// Changes arriving while a rebuild runs are folded into the next one, so answers follow the cluster within
/// milliseconds of a watch event and a burst of events costs one rebuild.
/// </summary>
public sealed class ClusterIndex : IAsyncDisposable
{
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly Informer<V1Pod> _pods;
    private readonly IInformer[] _all;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly List<Task> _tasks = [];
    private volatile ClusterSnapshot _current = ClusterSnapshot.NotSynced;
    private long _version;

    public ClusterIndex(IKubeClient client, ILoggerFactory? loggers = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger("Strata.Dns.ClusterIndex");
        _namespaces = new Informer<V1Namespace>(client, logger: loggers.CreateLogger("Strata.Dns.Informer.Namespace"));
        _services = new Informer<V1Service>(client, logger: loggers.CreateLogger("Strata.Dns.Informer.Service"));
        _slices = new Informer<V1EndpointSlice>(client, logger: loggers.CreateLogger("Strata.Dns.Informer.EndpointSlice"));
        _pods = new Informer<V1Pod>(client, logger: loggers.CreateLogger("Strata.Dns.Informer.Pod"));
        _all = [_namespaces, _services, _slices, _pods];
        Hook(_namespaces);
        Hook(_services);
        Hook(_slices);
        Hook(_pods);
    }

    /// <summary>The latest snapshot; <see cref="ClusterSnapshot.NotSynced"/> until every informer has listed.</summary>
    public ClusterSnapshot Current => _current;

    /// <summary>Raised after a new snapshot is published (tests wait on it).</summary>
    public event Action<ClusterSnapshot>? Published;

    public void Start()
    {
        foreach (var informer in _all)
        {
            _tasks.Add(Task.Run(() => informer.RunAsync(_stop.Token)));
        }

        _tasks.Add(Task.Run(RebuildLoopAsync));
    }

    public async Task WaitForSyncAsync(CancellationToken cancellationToken)
    {
        while (!_current.Synced)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    private void Hook<T>(Informer<T> informer) where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        informer.AddHandler(_ => Signal(), (_, _) => Signal(), _ => Signal());
    }

    private void Signal()
    {
        Interlocked.Increment(ref _version);
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rebuild is already pending; it will see this change too.
        }
    }

    private async Task RebuildLoopAsync()
    {
        try
        {
            foreach (var informer in _all)
            {
                await informer.WaitForSyncAsync(_stop.Token);
            }

            while (!_stop.IsCancellationRequested)
            {
                Publish();
                await _changed.WaitAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Publish()
    {
        var serial = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var snapshot = ClusterSnapshot.Build(_namespaces.List(), _services.List(), _slices.List(), _pods.List(), serial);
        _current = snapshot;
        ClusterIndexLog.Published(_logger, snapshot.Services.Count, snapshot.Namespaces.Count);
        Published?.Invoke(snapshot);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_tasks);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _changed.Dispose();
    }
}

internal static partial class ClusterIndexLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "published a cluster snapshot: {Services} services in {Namespaces} namespaces")]
    public static partial void Published(ILogger logger, int services, int namespaces);
}
