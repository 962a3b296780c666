using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Netfilter;
using Strata.Netlink;
using Strata.Proxy.Health;

namespace Strata.Proxy.Sync;

/// <summary>
/// The agent's proxy role (kube-proxy): informers on Services and EndpointSlices (never Endpoints) feed the change
/// tracker; once both have listed, the proxier syncs and keeps syncing. It programs the network namespace it runs in
/// (the node's: the role runs in the agent or in a hostNetwork pod), or the one at <paramref name="netnsPath"/>.
/// </summary>
public sealed class ProxyRole(IKubeClient client, ProxySettings settings, ILoggerFactory loggers, ProxierTiming? timing = null, string? netnsPath = null)
{
    private readonly TaskCompletionSource<IptablesProxier> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The proxier, once the informers have synced.</summary>
    public Task<IptablesProxier> Started => _started.Task;

    /// <summary>The /healthz and /livez server, once started (null when --healthz-bind-address is empty).</summary>
    public HealthHttpServer? HealthzServer { get; private set; }

    /// <summary>The health check node ports of ETP Local load balancers.</summary>
    public ServiceHealthServer? ServiceHealth { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Strata.Proxy");
        var syncTiming = timing ?? new ProxierTiming();
        var healthz = settings.ParseHealthzBindAddress();
        using var ns = netnsPath is null ? null : NetworkNamespace.Open(netnsPath);
        using var proxier = new IptablesProxier(
            settings,
            new Netfilter.Iptables(netnsPath),
            new Conntrack(netnsPath),
            ns is null ? new ProcSysctl() : new NamespaceSysctl(ns),
            logger,
            syncTiming,
            ns is null ? LocalAddresses() : ns.Run(LocalAddresses));

        // Upstream's health timeout is twice the sync period (cmd/kube-proxy/app/server.go).
        var health = new ProxyHealthTracker(2 * syncTiming.SyncPeriod);
        ListenSocketFactory? bind = ns is null ? null : endpoint => ns.Run(() => HealthHttpServer.Bind(endpoint));
        await using var serviceHealth = new ServiceHealthServer(
            proxier.Options.NodePortAddresses is { } only ? only : [IPAddress.Any], health, loggers, bind);
        ServiceHealth = serviceHealth;
        var events = new EventRecorder(client, "kube-proxy", logger);
        serviceHealth.ListenFailed = (key, port, error) =>
        {
            var (service, message) = FailedToStartServiceHealthcheck(settings.NodeName, key, port, error);
            _ = events.WarningAsync(service, "FailedToStartServiceHealthcheck", message);
        };
        proxier.Health = health;
        proxier.Synced = snapshot => serviceHealth.SyncAsync(snapshot).GetAwaiter().GetResult();
        if (healthz is not null)
        {
            try
            {
                HealthzServer = await ProxyHealthServer.StartAsync(healthz, health, loggers, bind);
            }
            catch (IOException e)
            {
                // Fatal, as upstream's "failed to start proxy healthz on ADDRESS".
                throw new IOException($"failed to start proxy healthz (--healthz-bind-address): {e.Message}", e);
            }
            ProxyLog.HealthzServing(logger, HealthzServer.Endpoint);
        }

        await using var healthzServer = HealthzServer;
        var services = new Informer<V1Service>(client, null, loggers.CreateLogger("Strata.Proxy.Informer.Service"));
        var slices = new Informer<V1EndpointSlice>(client, null, loggers.CreateLogger("Strata.Proxy.Informer.EndpointSlice"));
        // The node's own object, for /healthz: a node being deleted or drained by the autoscaler is not eligible.
        var nodes = new Informer<V1Node>(client, new ListRequest(FieldSelector: $"metadata.name={settings.NodeName}"), loggers.CreateLogger("Strata.Proxy.Informer.Node"));
        services.AddHandler(
            added: s => Changed(proxier.Tracker.UpsertService(s)),
            updated: (_, s) => Changed(proxier.Tracker.UpsertService(s)),
            deleted: s => Changed(proxier.Tracker.DeleteService(s)));
        slices.AddHandler(
            added: s => Changed(proxier.Tracker.UpsertEndpointSlice(s)),
            updated: (_, s) => Changed(proxier.Tracker.UpsertEndpointSlice(s)),
            deleted: s => Changed(proxier.Tracker.DeleteEndpointSlice(s)));
        nodes.AddHandler(added: health.SetNode, updated: (_, n) => health.SetNode(n), deleted: _ => health.SetNode(null));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watches = new[]
        {
            Task.Run(() => services.RunAsync(stop.Token), stop.Token),
            Task.Run(() => slices.RunAsync(stop.Token), stop.Token),
            Task.Run(() => nodes.RunAsync(stop.Token), stop.Token),
        };
        try
        {
            ProxyLog.Waiting(logger, settings.NodeName);
            await Task.WhenAll(services.WaitForSyncAsync(cancellationToken), slices.WaitForSyncAsync(cancellationToken));
            _started.TrySetResult(proxier);
            await proxier.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _started.TrySetCanceled(CancellationToken.None);
            await stop.CancelAsync();
            await Task.WhenAll(watches).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        void Changed(bool changed)
        {
            if (changed)
            {
                health.QueuedUpdate();
                proxier.RequestSync();
            }
        }
    }

    /// <summary>This namespace's IPv4 addresses, for --nodeport-addresses.</summary>
    private static List<IPAddress> LocalAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)];

    /// <summary>
    /// Upstream's Event for a health check port that could not be opened (pkg/proxy/healthcheck/service_health.go
    /// SyncServices): on the Service, named only by namespace and name, with the node in the message.
    /// </summary>
    public static (V1Service Service, string Message) FailedToStartServiceHealthcheck(string nodeName, string serviceKey, int port, string error)
    {
        var parts = serviceKey.Split('/', 2);
        var service = new V1Service { ApiVersion = "v1", Kind = "Service", Metadata = new V1ObjectMeta { NamespaceProperty = parts[0], Name = parts[1] } };
        return (service, $"node {nodeName} failed to start healthcheck \"{serviceKey}\" on port {port}: {error}");
    }
}
