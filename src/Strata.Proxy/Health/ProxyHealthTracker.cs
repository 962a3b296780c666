using k8s.Models;

namespace Strata.Proxy.Health;

/// <summary>One proxier's (one IP family's) health, as upstream's ProxierHealth.</summary>
public sealed record ProxierHealth(DateTime LastUpdated, bool Healthy);

/// <summary>
/// kube-proxy's health as upstream's ProxyHealth (pkg/proxy/healthcheck/proxy_health.go): healthy unless an update was
/// queued longer than the health timeout ago and no sync has applied it since.
/// </summary>
public sealed record ProxyHealth(DateTime LastUpdated, DateTime CurrentTime, bool Healthy, IReadOnlyDictionary<string, ProxierHealth> Status);

/// <summary>
/// The timestamps behind /healthz, /livez and the Services' health checks (upstream's ProxyHealthServer without its HTTP
/// part): <see cref="QueuedUpdate"/> when a Service or EndpointSlice change arrives, <see cref="Updated"/> when a sync
/// applied the rules. Thread-safe; the clock is injectable for tests.
/// </summary>
public sealed class ProxyHealthTracker(TimeSpan healthTimeout, Func<DateTime>? clock = null)
{
    /// <summary>The taint the cluster autoscaler puts on a node it is about to delete.</summary>
    public const string ToBeDeletedTaint = "ToBeDeletedByClusterAutoscaler";

    public const string IPv4 = "IPv4";

    private readonly Lock _lock = new();
    private readonly Func<DateTime> _clock = clock ?? (() => DateTime.UtcNow);
    private readonly Dictionary<string, DateTime> _lastUpdated = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _oldestPendingQueued = new(StringComparer.Ordinal);
    private V1Node? _node;

    public TimeSpan HealthTimeout { get; } = healthTimeout;

    public DateTime Now => _clock();

    /// <summary>The proxier of <paramref name="family"/> applied the current state.</summary>
    public void Updated(string family = IPv4)
    {
        lock (_lock)
        {
            _oldestPendingQueued.Remove(family);
            _lastUpdated[family] = _clock();
        }
    }

    /// <summary>A change arrived that the proxier of <paramref name="family"/> has not applied yet (the oldest one counts).</summary>
    public void QueuedUpdate(string family = IPv4)
    {
        lock (_lock)
        {
            _oldestPendingQueued.TryAdd(family, _clock());
        }
    }

    /// <summary>The proxy's own node, as the node informer last saw it (null: not seen, or deleted).</summary>
    public void SetNode(V1Node? node)
    {
        lock (_lock)
        {
            _node = node;
        }
    }

    public ProxyHealth Health()
    {
        lock (_lock)
        {
            var now = _clock();
            var status = new SortedDictionary<string, ProxierHealth>(StringComparer.Ordinal);
            var lastUpdated = DateTime.MinValue;
            var healthy = true;
            foreach (var (family, updated) in _lastUpdated)
            {
                if (updated > lastUpdated)
                {
                    lastUpdated = updated;
                }

                // Healthy while starting up, when fully synced, or while the queued update is not late yet.
                var late = _oldestPendingQueued.TryGetValue(family, out var queued) && now - queued >= HealthTimeout;
                healthy &= !late;
                status[family] = new ProxierHealth(updated, !late);
            }

            return new ProxyHealth(lastUpdated, now, healthy, status);
        }
    }

    /// <summary>Eligible to take traffic: the node exists, is not being deleted and carries no ToBeDeleted taint.</summary>
    public bool NodeEligible()
    {
        lock (_lock)
        {
            return IsEligible(_node);
        }
    }

    public static bool IsEligible(V1Node? node) =>
        node is not null && node.Metadata?.DeletionTimestamp is null
        && !(node.Spec?.Taints ?? []).Any(t => t.Key == ToBeDeletedTaint);
}
