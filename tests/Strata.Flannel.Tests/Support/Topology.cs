using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Flannel.Kernel;
using Strata.Flannel.Subnet;
using Strata.Flannel.Udp;
using Strata.Netlink;

namespace Strata.Flannel.Tests.Support;

/// <summary>
/// A small cluster underlay built only of namespaces this test creates (names <c>strata-t-&lt;id&gt;-…</c>): an
/// "underlay" namespace holding two L2 segments (bridges br0 192.168.50.0/24 and br1 192.168.60.0/24) that it routes
/// between, "node" namespaces with eth0 on a segment and a cni0 bridge, and for each node a "pod" namespace on its
/// cni0 with the podCIDR's .2. Disposing deletes every namespace, which takes every link, route and rule with it.
/// </summary>
public sealed class Topology : IDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _processes = [];

    public Topology()
    {
        try
        {
            Underlay = Add("ul");
            Sysctl(Underlay, "net.ipv4.ip_forward", "1");
            for (int segment = 0; segment < 2; segment++)
            {
                Tool.Ip(Underlay, "link", "add", $"br{segment}", "type", "bridge");
                Tool.Ip(Underlay, "addr", "add", $"{SegmentPrefix(segment)}.1/24", "dev", $"br{segment}");
                Tool.Ip(Underlay, "link", "set", $"br{segment}", "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Underlay { get; }

    public List<TestNode> Nodes { get; } = [];

    /// <summary>Adds node <paramref name="index"/> (1-based) on segment 0 (192.168.50.1N) or 1 (192.168.60.1N), podCIDR 10.233.(64+N).0/24.</summary>
    public TestNode AddNode(int index, int segment = 0)
    {
        string ns = Add($"n{index}");
        string ip = $"{SegmentPrefix(segment)}.{10 + index}";
        Tool.Ip(ns, "link", "set", "lo", "up");
        Tool.Ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", $"v{index}", "netns", Underlay);
        Tool.Ip(Underlay, "link", "set", $"v{index}", "master", $"br{segment}", "up");
        Tool.Ip(ns, "addr", "add", $"{ip}/24", "dev", "eth0");
        Tool.Ip(ns, "link", "set", "eth0", "up");
        Tool.Ip(ns, "route", "add", "default", "via", $"{SegmentPrefix(segment)}.1");
        Sysctl(ns, "net.ipv4.ip_forward", "1");

        var podCidr = IpPrefix.Parse($"10.233.{64 + index}.0/24");
        Tool.Ip(ns, "link", "add", "cni0", "type", "bridge");
        Tool.Ip(ns, "addr", "add", $"10.233.{64 + index}.1/24", "dev", "cni0");
        Tool.Ip(ns, "link", "set", "cni0", "up");

        string pod = Add($"p{index}");
        Tool.Ip(pod, "link", "set", "lo", "up");
        Tool.Ip(pod, "link", "add", "eth0", "type", "veth", "peer", "name", "vpod", "netns", ns);
        Tool.Ip(ns, "link", "set", "vpod", "master", "cni0", "up");
        Tool.Ip(pod, "addr", "add", $"10.233.{64 + index}.2/24", "dev", "eth0");
        Tool.Ip(pod, "link", "set", "eth0", "up");
        Tool.Ip(pod, "route", "add", "default", "via", $"10.233.{64 + index}.1");

        var node = new TestNode($"node{index}", ns, pod, IPAddress.Parse(ip), podCidr, $"10.233.{64 + index}.2");
        Nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Runs the reconciler as the role does, for every node: the backend's device, then the plan for the leases of
    /// every node in <paramref name="members"/> (all by default). Returns each node's plan and what the reconciler changed.
    /// </summary>
    public Dictionary<string, (NetworkPlan Plan, IReadOnlyList<string> Changes)> Reconcile(NetConf conf, IReadOnlyCollection<TestNode>? members = null)
    {
        members ??= Nodes;
        var leases = new List<Lease>();
        var locals = new Dictionary<TestNode, LocalNode>();
        foreach (var node in members)
        {
            using var ns = NetworkNamespace.Open(node.Namespace);
            using var reconciler = new NetworkReconciler(ns);
            var local = new LocalNode(node.Name, node.PodCidr, reconciler.FindExternal(node.Ip));
            var device = reconciler.EnsureDevice(conf, local, storedMac: null);
            string data = device.VtepMac is { } mac ? new VxlanLeaseData((uint)((VxlanConfig)conf.Backend).Vni, mac).ToJson() : "null";
            leases.Add(new Lease(node.Name, node.PodCidr, conf.Backend.Type, node.Ip, data));
            locals[node] = local;
        }

        var plans = new Dictionary<string, (NetworkPlan Plan, IReadOnlyList<string> Changes)>();
        foreach (var node in members)
        {
            using var ns = NetworkNamespace.Open(node.Namespace);
            using var reconciler = new NetworkReconciler(ns);
            var plan = NetworkPlanner.Plan(conf, locals[node], leases);
            plans[node.Name] = (plan, reconciler.Apply(conf, locals[node], plan));
        }

        return plans;
    }

    /// <summary>Starts tcpdump on an underlay device (a node's port vN: a bridge itself does not see the frames it forwards); <see cref="Capture.Stop"/> returns what it printed.</summary>
    /// <summary>
    /// The udp backend on every node: a proxy on UDP 8285 in each node's namespace (with TSO/GSO/GRO offloads unless
    /// <paramref name="offload"/> says no for that node), the backend reconciled, each proxy given its peers, and the pods'
    /// eth0 set to flannel0's MTU as the CNI plugin does with FLANNEL_MTU. Disposing it stops the proxies.
    /// </summary>
    public UdpBackend StartUdp(Func<TestNode, bool>? offload = null)
    {
        var udp = new UdpBackend();
        try
        {
            foreach (var node in Nodes)
            {
                using var ns = NetworkNamespace.Open(node.Namespace);
                udp.Proxies.Add(UdpProxy.Start(ns, node.Ip, 8285, NullLogger.Instance, offload?.Invoke(node) ?? true));
            }

            var plans = Reconcile(NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"udp"}}""", "test"));
            for (int i = 0; i < Nodes.Count; i++)
            {
                udp.Proxies[i].SetPeers(plans[Nodes[i].Name].Plan.UdpPeers);
                Tool.Ip(Nodes[i].Pod, "link", "set", "eth0", "mtu", "1472");
            }

            return udp;
        }
        catch
        {
            udp.Dispose();
            throw;
        }
    }

    public Capture StartCapture(string device, string filter, params string[] options)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", Underlay, "tcpdump", "--immediate-mode", "-l", "-n", "-vv", "-i", device }.Concat(options).Append(filter))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start tcpdump");
        _processes.Add(process);
        var capture = new Capture(process);
        capture.WaitUntilListening();
        return capture;
    }

    /// <summary>A ping that may take up to three echoes (2 s each): the machine running the tests is loaded.</summary>
    public static bool Ping(string ns, string address) => Enumerable.Range(0, 3).Any(_ => Tool.Ping(ns, address));

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string SegmentPrefix(int segment) => segment == 0 ? "192.168.50" : "192.168.60";

    private static void Sysctl(string ns, string key, string value) => Tool.Check("ip", "netns", "exec", ns, "sysctl", "-qw", $"{key}={value}");

    private string Add(string role)
    {
        string name = $"strata-t-{_id}-{role}";
        NetworkNamespace.Create(name).Dispose();
        _namespaces.Add(name);
        return name;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        foreach (var name in _namespaces.AsEnumerable().Reverse())
        {
            if (NetworkNamespace.Exists(name))
            {
                NetworkNamespace.Delete(name);
            }
        }
    }
}

/// <summary>One node of the <see cref="Topology"/>: its namespace, its pod's namespace and addresses.</summary>
/// <summary>The udp backend's proxies, one per node in the topology's order.</summary>
public sealed class UdpBackend : IDisposable
{
    public List<UdpProxy> Proxies { get; } = [];

    public void Dispose()
    {
        foreach (var proxy in Proxies)
        {
            proxy.Dispose();
        }
    }
}

public sealed record TestNode(string Name, string Namespace, string Pod, IPAddress Ip, IpPrefix PodCidr, string PodIp);

/// <summary>A running tcpdump; its output lines, collected until it is stopped.</summary>
public sealed class Capture
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdout;
    private readonly Task _stderr;

    public Capture(Process process)
    {
        _process = process;
        _stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        });
        _stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add("tcpdump: " + line);
                }

                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    _listening.TrySetResult();
                }
            }

            _listening.TrySetResult();
        });
    }

    public void WaitUntilListening() => Assert.True(_listening.Task.Wait(TimeSpan.FromSeconds(10)), "tcpdump did not start listening in 10 s");

    public string Stop()
    {
        // SIGTERM makes tcpdump flush what it captured and exit.
        if (!_process.HasExited)
        {
            Tool.Run("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        _process.WaitForExit(5000);
        Task.WaitAll([_stdout, _stderr], TimeSpan.FromSeconds(5));
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
