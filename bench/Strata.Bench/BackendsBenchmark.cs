using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Flannel.Kernel;
using Strata.Flannel.Subnet;
using Strata.Flannel.Udp;
using Strata.Netlink;

namespace Strata.Bench;

/// <summary>
/// One path measured: TCP throughput (iperf3, several streams, the median over rounds), its share of the underlay (the
/// median of each round's ratio to an underlay run next to it), and TCP request/response latency.
/// </summary>
public sealed record PathResult(string Path, string SeedClaim, double GbitPerSecond, double PercentOfBaseline, double RoundTripMicros);

/// <summary>The seed's backend table, measured: every path in one run on the same machine, the underlay as the baseline.</summary>
public sealed record BackendsReport(int Streams, int Seconds, int Rounds, int RoundTrips, IReadOnlyList<PathResult> Paths)
{

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: backends");
        text.AppendLine($"workload:  iperf3 -P {Streams} -t {Seconds} (TCP throughput); {RoundTrips} TCP request/response round trips of 1 byte (latency, median)");
        text.AppendLine($"baseline:  node to node on the underlay (veth into a bridge, no overlay), run next to each path in {Rounds} rounds; \"of base\" is the median of the rounds' ratios");
        text.AppendLine();
        text.AppendLine($"{"path",-28} {"Gbit/s",8} {"of base",8} {"RTT µs",8}  seed's claim");
        foreach (var path in Paths)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{path.Path,-28} {path.GbitPerSecond,8:F2} {path.PercentOfBaseline,7:F0}% {path.RoundTripMicros,8:F1}  {path.SeedClaim}");
        }

        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", "backends");
            json.WriteNumber("streams", Streams);
            json.WriteNumber("seconds", Seconds);
            json.WriteNumber("rounds", Rounds);
            json.WriteNumber("round_trips", RoundTrips);
            json.WriteStartArray("paths");
            foreach (var path in Paths)
            {
                json.WriteStartObject();
                json.WriteString("path", path.Path);
                json.WriteNumber("gbit_per_second", Math.Round(path.GbitPerSecond, 3));
                json.WriteNumber("percent_of_baseline", Math.Round(path.PercentOfBaseline, 1));
                json.WriteNumber("rtt_us", Math.Round(path.RoundTripMicros, 1));
                json.WriteString("seed_claim", path.SeedClaim);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }
}

/// <summary>
/// <c>strata bench backends</c>: two nodes (namespaces) on one underlay bridge, each with a cni0 bridge and pods, and
/// the flannel reconciler programming host-gw, vxlan and then udp between them (Strata.Flannel, as the role does).
/// Each path is measured with iperf3 and a TCP request/response loop; everything lives in namespaces named
/// strata-bench-&lt;id&gt;-*, deleted at the end.
/// </summary>
public sealed class BackendsBenchmark(int streams = 4, int seconds = 5, int roundTrips = 2000, int rounds = 3)
{
    private const string ReferenceVxlan = "vxref";
    private readonly string _id = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _namespaces = [];
    private readonly List<double> _underlayRuns = [];
    private Func<double> _underlay = () => throw new InvalidOperationException("no underlay yet");

    /// <summary>Every namespace of this run starts with it.</summary>
    public string NamespacePrefix => $"strata-bench-{_id}-";

    public async Task<BackendsReport> RunAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        try
        {
            string underlay = Add("ul");
            Ip(underlay, "link", "add", "br0", "type", "bridge");
            Ip(underlay, "link", "set", "br0", "up");
            var node1 = AddNode(underlay, 1);
            var node2 = AddNode(underlay, 2);
            string pod1 = AddPod(node1, 1, 2);
            string pod1b = AddPod(node1, 1, 3);
            string pod2 = AddPod(node2, 2, 2);
            AddReferenceVxlan(node1, node2);
            _underlay = () => Iperf(node1.Ns, node2.Ns, "192.168.50.12");

            var paths = new List<PathResult>();
            progress("underlay: node1 -> node2");
            double underlayRtt = await RoundTripAsync(node1.Ns, node2.Ns, IPAddress.Parse("192.168.50.12"), cancellationToken);
            progress("pod to pod on the same node");
            paths.Add(await MeasureAsync("pod to pod, same node", "-", pod1, pod1b, "10.233.65.3", cancellationToken));

            // udp twice: one packet per TUN read/write and datagram (upstream's proxy_amd64.c, and this proxy before its
            // offloads), then with TSO/GSO/GRO: the reference and Strata's udp side by side in one run.
            foreach (var (backend, label, claim, offload) in new[]
            {
                ("host-gw", "host-gw", "about 10% loss", true),
                ("vxlan", "vxlan", "20-30% loss", true),
                ("udp", "udp, per packet", "slow (userspace)", false),
                ("udp", "udp", "slow (userspace)", true),
            })
            {
                progress($"pod to pod across nodes over {label}");
                var conf = NetConfParser.Parse($$$"""{"Network":"10.233.64.0/18","Backend":{"Type":"{{{backend}}}"}}""", "bench");
                var proxies = new List<UdpProxy>();
                try
                {
                    if (conf.Backend is UdpConfig udp)
                    {
                        foreach (var node in new[] { node1, node2 })
                        {
                            using var ns = NetworkNamespace.Open(node.Ns);
                            proxies.Add(UdpProxy.Start(ns, node.Ip, udp.Port, NullLogger.Instance, offload));
                        }
                    }

                    var (mtu, plans) = Program(conf, [node1, node2]);
                    for (int i = 0; i < proxies.Count; i++)
                    {
                        proxies[i].SetPeers(plans[i].UdpPeers);
                    }

                    // As the CNI plugin does with FLANNEL_MTU: the pods' interfaces fit the backend's MTU.
                    foreach (var (pod, node) in new[] { (pod1, node1.Ns), (pod2, node2.Ns) })
                    {
                        Ip(pod, "link", "set", "eth0", "mtu", mtu.ToString(CultureInfo.InvariantCulture));
                    }

                    paths.Add(await MeasureAsync($"pod to pod, {label}", claim, pod1, pod2, "10.233.66.2", cancellationToken));
                }
                finally
                {
                    foreach (var proxy in proxies)
                    {
                        proxy.Dispose();
                    }
                }

                if (backend == "vxlan")
                {
                    // The kernel's own VXLAN between the two nodes, no pods and no flannel: what encapsulation alone costs
                    // on this underlay, next to what flannel's vxlan path costs.
                    progress("node to node over a bare kernel vxlan (reference)");
                    paths.Add(await MeasureAsync("node to node, kernel vxlan", "reference", node1.Ns, node2.Ns, "172.31.255.2", cancellationToken));
                }
            }

            paths.Insert(0, new PathResult("node to node (underlay)", "baseline", BenchmarkReport.Median(_underlayRuns), 100, underlayRtt));
            return new BackendsReport(streams, seconds, rounds, roundTrips, paths);
        }
        finally
        {
            foreach (var name in Enumerable.Reverse(_namespaces))
            {
                if (NetworkNamespace.Exists(name))
                {
                    NetworkNamespace.Delete(name);
                }
            }
        }
    }

    private sealed record BenchNode(string Name, string Ns, IPAddress Ip, IpPrefix PodCidr);

    private BenchNode AddNode(string underlay, int index)
    {
        string ns = Add($"n{index}");
        Ip(ns, "link", "set", "lo", "up");
        Ip(ns, "link", "add", "eth0", "type", "veth", "peer", "name", $"v{index}", "netns", underlay);
        Ip(underlay, "link", "set", $"v{index}", "master", "br0", "up");
        Ip(ns, "addr", "add", $"192.168.50.{10 + index}/24", "dev", "eth0");
        Ip(ns, "link", "set", "eth0", "up");
        Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Ip(ns, "link", "add", "cni0", "type", "bridge");
        Ip(ns, "addr", "add", $"10.233.{64 + index}.1/24", "dev", "cni0");
        Ip(ns, "link", "set", "cni0", "up");
        return new BenchNode($"node{index}", ns, IPAddress.Parse($"192.168.50.{10 + index}"), IpPrefix.Parse($"10.233.{64 + index}.0/24"));
    }

    private string AddPod(BenchNode node, int index, int host)
    {
        string pod = Add($"p{index}{host}");
        Ip(pod, "link", "set", "lo", "up");
        Ip(pod, "link", "add", "eth0", "type", "veth", "peer", "name", $"vp{host}", "netns", node.Ns);
        Ip(node.Ns, "link", "set", $"vp{host}", "master", "cni0", "up");
        Ip(pod, "addr", "add", $"10.233.{64 + index}.{host}/24", "dev", "eth0");
        Ip(pod, "link", "set", "eth0", "up");
        Ip(pod, "route", "add", "default", "via", $"10.233.{64 + index}.1");
        return pod;
    }

    /// <summary>The role's device and plan for every node, as flannel programs them; returns the pods' MTU.</summary>
    private static (int Mtu, List<NetworkPlan> Plans) Program(NetConf conf, IReadOnlyList<BenchNode> nodes)
    {
        var leases = new List<Lease>();
        var locals = new List<LocalNode>();
        int mtu = 0;
        foreach (var node in nodes)
        {
            using var ns = NetworkNamespace.Open(node.Ns);
            using var reconciler = new NetworkReconciler(ns);
            var local = new LocalNode(node.Name, node.PodCidr, reconciler.FindExternal(node.Ip));
            var device = reconciler.EnsureDevice(conf, local, null);
            mtu = device.Mtu;
            string data = device.VtepMac is { } mac ? new VxlanLeaseData((uint)((VxlanConfig)conf.Backend).Vni, mac).ToJson() : "null";
            leases.Add(new Lease(node.Name, node.PodCidr, conf.Backend.Type, node.Ip, data));
            locals.Add(local);
        }

        var plans = new List<NetworkPlan>();
        for (int i = 0; i < nodes.Count; i++)
        {
            using var ns = NetworkNamespace.Open(nodes[i].Ns);
            using var reconciler = new NetworkReconciler(ns);
            var plan = NetworkPlanner.Plan(conf, locals[i], leases);
            reconciler.Apply(conf, locals[i], plan);
            plans.Add(plan);
        }

        return (mtu, plans);
    }

    /// <summary>
    /// The path and the underlay in turns, <see cref="rounds"/> times, the order swapped every round so that a change of
    /// load on this shared machine between the two runs of a pair does not always favour the same one.
    /// </summary>
    private async Task<PathResult> MeasureAsync(string path, string claim, string client, string server, string serverIp, CancellationToken cancellationToken)
    {
        var gbits = new double[rounds];
        var ratios = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double underlay = round % 2 == 0 ? _underlay() : double.NaN;
            gbits[round] = Iperf(client, server, serverIp);
            if (double.IsNaN(underlay))
            {
                underlay = _underlay();
            }

            _underlayRuns.Add(underlay);
            ratios[round] = gbits[round] / underlay;
        }

        double rtt = await RoundTripAsync(client, server, IPAddress.Parse(serverIp), cancellationToken);
        return new PathResult(path, claim, BenchmarkReport.Median(gbits), 100 * BenchmarkReport.Median(ratios), rtt);
    }

    /// <summary>A VXLAN device on each node pointed at the other (VNI 42, the IANA port 4789), with 172.31.255.&lt;n&gt;/24 on it.</summary>
    private void AddReferenceVxlan(BenchNode node1, BenchNode node2)
    {
        foreach (var (node, peer, host) in new[] { (node1, node2, 1), (node2, node1, 2) })
        {
            Ip(node.Ns, "link", "add", ReferenceVxlan, "type", "vxlan", "id", "42", "dstport", "4789", "local", node.Ip.ToString(),
                "remote", peer.Ip.ToString(), "dev", "eth0", "nolearning");
            Ip(node.Ns, "addr", "add", $"172.31.255.{host}/24", "dev", ReferenceVxlan);
            Ip(node.Ns, "link", "set", ReferenceVxlan, "up");
        }
    }

    private double Iperf(string client, string server, string serverIp)
    {
        var daemon = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", server, "iperf3", "-s", "-1", "-B", serverIp])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            string json = "";
            for (int attempt = 0; attempt < 20; attempt++)
            {
                Thread.Sleep(100);
                var (code, stdout, _) = Run("ip", "netns", "exec", client, "iperf3", "-c", serverIp, "-P", streams.ToString(CultureInfo.InvariantCulture),
                    "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J");
                if (code == 0)
                {
                    json = stdout;
                    break;
                }
            }

            if (json.Length == 0)
            {
                throw new InvalidOperationException($"iperf3 from {client} to {serverIp} did not connect");
            }

            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"iperf3 from {client} to {serverIp}: {error.GetString()}");
            }

            return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9;
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }

            daemon.WaitForExit();
            daemon.Dispose();
        }
    }

    /// <summary>TCP request/response: one byte there, one byte back, <see cref="roundTrips"/> times; the median in µs.</summary>
    private async Task<double> RoundTripAsync(string client, string server, IPAddress serverIp, CancellationToken cancellationToken)
    {
        using var serverNs = NetworkNamespace.Open(server);
        using var clientNs = NetworkNamespace.Open(client);
        using var listener = serverNs.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(serverIp, 0));
            s.Listen(1);
            return s;
        });
        using var connection = clientNs.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        var accepting = listener.AcceptAsync(cancellationToken).AsTask();
        await connection.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        using var accepted = await accepting;
        accepted.NoDelay = true;
        var echo = Task.Run(() =>
        {
            var b = new byte[1];
            while (accepted.Receive(b) == 1)
            {
                accepted.Send(b);
            }
        }, cancellationToken);

        var samples = new double[roundTrips];
        var one = new byte[1];
        for (int i = 0; i < roundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            connection.Send(one);
            if (connection.Receive(one) != 1)
            {
                throw new InvalidOperationException("the echo side closed");
            }

            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        connection.Shutdown(SocketShutdown.Both);
        await echo;
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private string Add(string role)
    {
        string name = NamespacePrefix + role;
        NetworkNamespace.Create(name).Dispose();
        _namespaces.Add(name);
        return name;
    }

    private static void Ip(string ns, params string[] args)
    {
        var (code, _, stderr) = Run("ip", ["-n", ns, .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip -n {ns} {string.Join(' ', args)}: {stderr.Trim()}");
        }
    }

    private static (int Code, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
