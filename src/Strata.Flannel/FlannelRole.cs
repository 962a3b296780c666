using System.Threading.Channels;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Flannel.Iptables;
using Strata.Flannel.Kernel;
using Strata.Flannel.Subnet;
using Strata.Flannel.Udp;
using Strata.Netlink;

namespace Strata.Flannel;

/// <summary>
/// The agent's flannel role, shaped as flanneld's main loop: read net-conf.json (an unusable one stops the role
/// before anything on the node changes), find the external interface, set up the backend's device, acquire the
/// lease (publish the node's annotations), write subnet.env and the iptables rules, then keep the kernel equal to
/// the plan for the current leases: on every Node change, every netlink deletion, and every resync period.
/// </summary>
public sealed partial class FlannelRole(IKubeClient client, FlannelOptions options, ILoggerFactory loggers)
{
    public const string EventComponent = "flanneld";

    private readonly ILogger _logger = loggers.CreateLogger("flannel");
    private readonly HashSet<string> _reported = [];
    private EventRecorder? _events;

    /// <summary>The file name kube-flannel.yml's install-cni container gives the CNI configuration.</summary>
    public const string CniConfFileName = "10-flannel.conflist";

    /// <summary>The network configuration in force, once read.</summary>
    public NetConf? Config { get; private set; }

    /// <summary>This node's lease, once acquired.</summary>
    public Lease? Lease { get; private set; }

    /// <summary>The last plan applied.</summary>
    public NetworkPlan? LastPlan { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var conf = await NetConfSource.LoadAsync(client, options.NetConfFile, cancellationToken);
        Config = conf;
        Log.Config(_logger, conf.Network, conf.Backend);

        _events = new EventRecorder(client, EventComponent, _logger);
        using var reconciler = new NetworkReconciler(options.Namespace);
        var nodeIp = options.NodeIp ?? await WaitForInternalIpAsync(cancellationToken);
        var ext = reconciler.FindExternal(nodeIp);
        var subnets = new KubeSubnetManager(client, options.NodeName, _logger);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var informer = subnets.RunAsync(stop.Token);
        UdpProxy? proxy = null;
        try
        {
            await subnets.WaitForSyncAsync(cancellationToken);
            var podCidr = await WaitForPodCidrAsync(cancellationToken);
            var local = new LocalNode(options.NodeName, podCidr, ext);
            if (conf.Backend is UdpConfig udp)
            {
                proxy = UdpProxy.Start(options.Namespace, ext.Ip, udp.Port, loggers.CreateLogger("flannel.udp"));
            }


            var device = reconciler.EnsureDevice(conf, local, subnets.StoredVtepMac);
            string backendData = device.VtepMac is { } mac ? new VxlanLeaseData((uint)((VxlanConfig)conf.Backend).Vni, mac).ToJson() : "null";
            Lease = await subnets.AcquireLeaseAsync(conf.Backend.Type, backendData, ext.Ip, cancellationToken);

            SubnetEnv.Write(options.SubnetFile, SubnetEnv.Render(conf, Lease.Subnet, device.Mtu, options.IpMasq));
            Log.SubnetFile(_logger, options.SubnetFile);
            await WriteCniConfAsync(cancellationToken);
            var iptables = new Strata.Netfilter.Iptables(options.NamespaceName is { } ns ? Path.Combine(NetworkNamespace.RunDirectory, ns) : null);
            EnsureIptables(iptables, conf, Lease);

            using var monitor = NetlinkMonitor.Open(options.Namespace, MonitorGroups.All);
            var kernelChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            var watcher = WatchKernelAsync(monitor, kernelChanged.Writer, stop.Token);
            var iptablesDue = DateTime.UtcNow;
            while (!cancellationToken.IsCancellationRequested)
            {
                reconciler.EnsureDevice(conf, local, device.VtepMac);
                await ReconcileOnceAsync(reconciler, conf, local, proxy, subnets, cancellationToken);
                if (DateTime.UtcNow >= iptablesDue)
                {
                    EnsureIptables(iptables, conf, Lease);
                    iptablesDue = DateTime.UtcNow + options.Resync;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(options.Resync);
                await Task.WhenAny(
                    subnets.Changes.WaitToReadAsync(wait.Token).AsTask(),
                    kernelChanged.Reader.WaitToReadAsync(wait.Token).AsTask(),
                    Task.Delay(Timeout.Infinite, wait.Token),
                    informer);
                await wait.CancelAsync(); // ends the waits that did not fire
                cancellationToken.ThrowIfCancellationRequested();

                if (informer.IsCompleted)
                {
                    await informer; // surfaces its failure
                }

                // Let a burst of events settle into one pass.
                await Task.Delay(50, cancellationToken);
                subnets.Changes.TryRead(out _);
                kernelChanged.Reader.TryRead(out _);
            }

            await stop.CancelAsync();
            await watcher;
        }
        finally
        {
            await stop.CancelAsync();
            proxy?.Dispose();
            try
            {
                await informer;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The Node's InternalIP (status.addresses), once the kubelet has registered it.</summary>
    private async Task<System.Net.IPAddress> WaitForInternalIpAsync(CancellationToken cancellationToken)
    {
        bool logged = false;
        while (true)
        {
            var node = await client.GetAsync<V1Node>(null, options.NodeName, cancellationToken);
            var internalIp = node?.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address;
            if (System.Net.IPAddress.TryParse(internalIp, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                return ip;
            }

            if (!logged)
            {
                Log.WaitingForInternalIp(_logger, options.NodeName);
                logged = true;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>install-cni's copy: the ConfigMap's cni-conf.json as 10-flannel.conflist, replaced whole when it differs.</summary>
    private async Task WriteCniConfAsync(CancellationToken cancellationToken)
    {
        if (options.CniConfDir is null || await NetConfSource.LoadCniConfAsync(client, options.NetConfFile, cancellationToken) is not { } cniConf)
        {
            return;
        }

        string path = Path.Combine(options.CniConfDir, CniConfFileName);
        if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellationToken) == cniConf)
        {
            return;
        }

        SubnetEnv.Write(path, cniConf);
        Log.CniConf(_logger, path);
    }

    private async Task<IpPrefix> WaitForPodCidrAsync(CancellationToken cancellationToken)
    {
        bool logged = false;
        while (true)
        {
            var node = await client.GetAsync<V1Node>(null, options.NodeName, cancellationToken);
            if (node is not null && NodeAnnotations.PodCidr(node) is { } cidr)
            {
                return cidr;
            }

            if (!logged)
            {
                Log.WaitingForPodCidr(_logger, options.NodeName);
                logged = true;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    private async Task ReconcileOnceAsync(NetworkReconciler reconciler, NetConf conf, LocalNode local, UdpProxy? proxy, KubeSubnetManager subnets, CancellationToken cancellationToken)
    {
        var (leases, _) = subnets.Leases();
        var plan = NetworkPlanner.Plan(conf, local, leases);
        LastPlan = plan;
        proxy?.SetPeers(plan.UdpPeers);
        foreach (var change in reconciler.Apply(conf, local, plan))
        {
            Log.Changed(_logger, change);
        }

        foreach (var refused in plan.Refused)
        {
            if (_reported.Add($"{refused.Lease.NodeName}\n{refused.Reason}"))
            {
                Log.Refused(_logger, refused.Reason);
                if (subnets.Self is { } self && _events is not null)
                {
                    await _events.WarningAsync(self, "RouteRefused", refused.Reason, cancellationToken);
                }
            }
        }

        _reported.RemoveWhere(key => !plan.Refused.Any(r => key == $"{r.Lease.NodeName}\n{r.Reason}"));
    }

    private void EnsureIptables(Strata.Netfilter.Iptables iptables, NetConf conf, Lease lease)
    {
        string nat = iptables.Save("nat");
        string filter = iptables.Save("filter");
        bool masqCurrent = !options.IpMasq || MasqRules.Postrouting(conf.Network, lease.Subnet).All(r => nat.Contains(r, StringComparison.Ordinal))
            && nat.Split('\n').Count(l => l.TrimEnd() == MasqRules.PostroutingJump) == 1;
        bool forwardCurrent = MasqRules.Forward(conf.Network).All(r => filter.Contains(r, StringComparison.Ordinal))
            && filter.Split('\n').Count(l => l.TrimEnd() == MasqRules.ForwardJump) == 1;
        if (!masqCurrent || !forwardCurrent)
        {
            iptables.Restore(MasqRules.RenderSetup(conf.Network, lease.Subnet, options.IpMasq, nat, filter));
            Log.Iptables(_logger);
        }

        if (!options.IpMasq && MasqRules.RenderMasqCleanup(nat) is { } cleanup)
        {
            iptables.Restore(cleanup);
        }
    }

    private static async Task WatchKernelAsync(NetlinkMonitor monitor, ChannelWriter<bool> changed, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in monitor.Events.ReadAllAsync(cancellationToken))
            {
                if (e.Deleted || e is OverrunEvent or LinkEvent)
                {
                    changed.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Network {Network}, backend {Backend}")]
        public static partial void Config(ILogger logger, IpPrefix network, BackendConfig backend);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Waiting for node {Node} to get a podCIDR")]
        public static partial void WaitingForPodCidr(ILogger logger, string node);

        [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Wrote subnet file to {Path}")]
        public static partial void SubnetFile(ILogger logger, string path);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Change}")]
        public static partial void Changed(ILogger logger, string change);

        [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Waiting for node {Node} to have an InternalIP (or pass --node-ip)")]
        public static partial void WaitingForInternalIp(ILogger logger, string node);

        [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Wrote the CNI configuration to {Path}")]
        public static partial void CniConf(ILogger logger, string path);

        [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "iptables: FLANNEL-POSTRTG and FLANNEL-FWD (re)installed")]
        public static partial void Iptables(ILogger logger);
    }
}
