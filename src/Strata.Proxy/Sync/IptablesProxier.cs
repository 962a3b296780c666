using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Strata.Netfilter;
using Strata.Proxy.Health;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Proxy.Sync;

/// <summary>
/// The sync periods of kube-proxy's iptables mode: at most one sync per <see cref="MinSyncPeriod"/> (changes in between
/// are batched), the canary checked every <see cref="SyncPeriod"/> (and a failed sync retried then), a full sync at least
/// every <see cref="FullSyncPeriod"/> (proxyutil.FullSyncPeriod).
/// </summary>
public sealed record ProxierTiming
{
    public TimeSpan MinSyncPeriod { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan FullSyncPeriod { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>What one sync did.</summary>
public sealed record SyncOutcome(bool Success, bool Full, IptablesPayload? Payload, string? Error, TimeSpan Elapsed);

/// <summary>
/// kube-proxy's iptables Proxier (pkg/proxy/iptables/proxier.go): the change tracker's snapshot through the renderer into
/// one <c>iptables-restore --noflush</c> transaction. The first sync, one after a failure and one when the rules were
/// flushed (the KUBE-PROXY-CANARY chain is gone) are full; the others rewrite only the chains of changed Services. A
/// failed restore changes nothing in the kernel, so the last good rules stay until the retry succeeds.
/// </summary>
public sealed class IptablesProxier : IDisposable
{
    public const string CanaryChain = JumpRestore.CanaryChain;

    private static readonly string[] CanaryTables = ["mangle", "nat", "filter"];

    private readonly Netfilter.Iptables _iptables;
    private readonly Conntrack _conntrack;
    private readonly ISysctl _sysctl;
    private readonly ILogger _logger;
    private readonly ProxierTiming _timing;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private IptablesRenderOptions _options;
    private bool _needFullSync = true;
    private DateTime _lastFullSync = DateTime.MinValue;
    private DateTime _lastSync = DateTime.MinValue;
    private DateTime _lastCleanup = DateTime.MinValue;

    public IptablesProxier(
        ProxySettings settings,
        Netfilter.Iptables iptables,
        Conntrack conntrack,
        ISysctl sysctl,
        ILogger logger,
        ProxierTiming? timing = null,
        IReadOnlyList<IPAddress>? nodeAddresses = null)
    {
        settings.ParseMode();
        _iptables = iptables;
        _conntrack = conntrack;
        _sysctl = sysctl;
        _logger = logger;
        _timing = timing ?? new ProxierTiming();
        _options = settings.ToIptablesOptions(nodeAddresses);
        Tracker = new ProxyChangeTracker(settings.NodeName);
    }

    public ProxyChangeTracker Tracker { get; }

    /// <summary>The payload of the last successful sync.</summary>
    public IptablesPayload? LastPayload { get; private set; }

    public IptablesRenderOptions Options => _options;

    /// <summary>Told of every successful sync (upstream's healthzServer.Updated), and of the sync loop's start.</summary>
    public ProxyHealthTracker? Health { get; set; }

    /// <summary>Called after every successful sync with what it applied (upstream hands it to the ServiceHealthServer).</summary>
    public Action<ProxySnapshot>? Synced { get; set; }

    /// <summary>
    /// The node's sysctls, as NewProxier sets them: route_localnet so that NodePorts answer on 127.0.0.0/8 (with the
    /// KUBE-FIREWALL rule against martians that this opens), and nf_conntrack_tcp_be_liberal read to know whether INVALID
    /// packets must be dropped.
    /// </summary>
    public void Setup()
    {
        var loopbackNodePorts = _options.NodePortAddresses is null || _options.NodePortAddresses.Any(IPAddress.IsLoopback);
        if (_options.LocalhostNodePorts && loopbackNodePorts && _sysctl.Read("net/ipv4/conf/all/route_localnet") != "1")
        {
            _sysctl.Write("net/ipv4/conf/all/route_localnet", "1");
            ProxyLog.SysctlSet(_logger, "net/ipv4/conf/all/route_localnet", "1");
        }

        _options = _options with { ConntrackTcpLiberal = _sysctl.Read("net/netfilter/nf_conntrack_tcp_be_liberal") == "1" };
    }

    /// <summary>Asks for a sync; requests before it starts are merged into one.</summary>
    public void RequestSync()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <summary>Syncs now: full if one is due, partial otherwise.</summary>
    public SyncOutcome SyncOnce()
    {
        var started = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        var full = _needFullSync || now - _lastFullSync > _timing.FullSyncPeriod;
        _lastSync = now;

        // Pending changes are consumed by the checkout: from here on, a failure means the next sync must be full.
        _needFullSync = true;
        try
        {
            // A full sync makes sure of the canaries and the jumps from the built-in chains in its own transaction,
            // from what one iptables-save of all tables shows (one process instead of EnsureChain/EnsureRule's ~45),
            // read once for the jumps and the existing nat chains; it runs while the model is built.
            var saving = full ? Task.Run(() => JumpRestore.Read(_iptables.SaveAll())) : null;
            var snapshot = Tracker.Checkout();
            var model = ProxyModel.Build(snapshot);
            var saved = saving?.GetAwaiter().GetResult();
            // Stale chains are found with iptables-save, which is slow on big tables: in large cluster mode upstream looks
            // only once per syncPeriod (stale chains are unreferenced, so harmless meanwhile).
            var cleanup = full || model.TotalEndpoints <= IptablesRenderer.LargeClusterEndpointsThreshold || now - _lastCleanup > _timing.SyncPeriod;
            var existing = cleanup ? (saved ?? SavedTables.Parse(_iptables.Save("nat"), [])).Chains("nat") : null;
            var payload = IptablesRenderer.Render(model, _options, full ? null : snapshot.ChangedServices, existing);
            _iptables.Restore(saved is null ? payload.Text : JumpRestore.Merge(payload.Text, saved));
            _needFullSync = false;
            if (cleanup)
            {
                _lastCleanup = now;
            }

            if (full)
            {
                _lastFullSync = now;
            }

            LastPayload = payload;
            Health?.Updated();
            Synced?.Invoke(snapshot);
            CleanStaleConntrack(snapshot.ConntrackCleanups);
            ProxyLog.Synced(_logger, full ? "full" : "partial", model.Services.Count, model.TotalEndpoints, payload.FilterRules, payload.NatRules, payload.DeletedChains, started.ElapsedMilliseconds);
            return new SyncOutcome(true, full, payload, null, started.Elapsed);
        }
        catch (Exception e) when (e is IptablesRestoreException or InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            ProxyLog.SyncFailed(_logger, _timing.SyncPeriod.TotalSeconds, e.Message);
            return new SyncOutcome(false, full, null, e.Message, started.Elapsed);
        }
    }

    /// <summary>
    /// Syncs at once, then on every request (no sooner than MinSyncPeriod after the previous sync), and every SyncPeriod
    /// if a full sync is due: after a failure, when the canary is gone, or FullSyncPeriod after the last one.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // As upstream's SyncLoop: healthy from the start; a change queued meanwhile must then be applied in time.
        Health?.Updated();
        Setup();
        SyncOnce();
        while (!cancellationToken.IsCancellationRequested)
        {
            bool requested;
            try
            {
                requested = await _signal.WaitAsync(_timing.SyncPeriod, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!requested && !_needFullSync && DateTime.UtcNow - _lastFullSync <= _timing.FullSyncPeriod && CanariesPresent())
            {
                continue;
            }

            var wait = _lastSync + _timing.MinSyncPeriod - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            // Requests that came while waiting are served by this sync.
            _signal.Wait(0, CancellationToken.None);
            SyncOnce();
        }
    }

    public void Dispose() => _signal.Dispose();

    private bool CanariesPresent()
    {
        foreach (var table in CanaryTables)
        {
            if (!_iptables.ChainExists(table, CanaryChain))
            {
                ProxyLog.CanaryGone(_logger, table);
                _needFullSync = true;
                return false;
            }
        }

        return true;
    }

    private void CleanStaleConntrack(IReadOnlyList<ConntrackCleanup> cleanups)
    {
        foreach (var cleanup in cleanups)
        {
            var filter = new ConntrackFilter("UDP", cleanup.OriginalDestination, cleanup.NodePort, cleanup.EndpointIp);
            try
            {
                var count = _conntrack.Delete(filter);
                ProxyLog.ConntrackDeleted(_logger, count, filter);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                ProxyLog.ConntrackFailed(_logger, filter, e.Message);
            }
        }
    }
}
