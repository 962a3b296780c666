using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Netfilter;
using Strata.Netlink;
using Strata.Proxy;
using Strata.Proxy.Model;
using Strata.Proxy.Sync;

namespace Strata.Bench;

/// <summary>
/// <c>strata bench proxy</c>: N ClusterIP Services with E endpoints each, programmed into a scratch network namespace.
/// Full sync: Strata's whole sync (objects into the change tracker, model, render, iptables-save, the jump rules and one
/// iptables-restore) against a bare <c>iptables-restore --noflush</c> of the identical payload into a fresh namespace.
/// Partial sync: one Service's endpoint replaced, Strata's partial sync against its own full sync of the same state.
/// First packet: with Strata's rules applied, TCP connects to the cluster IP of the first and of the last Service in
/// KUBE-SERVICES (each connect is a new conntrack entry, so its SYN walks the nat rules), endpoints listening in the
/// namespace; the last over the first is the cost of iptables' linear walk.
/// </summary>
public sealed class ProxyBenchmark
{
    public ProxyBenchmark(IReadOnlyList<int> services, int endpoints = 10, int rounds = 3, string? backend = null, int samples = 2000)
    {
        if (samples < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "first-packet samples must be 0 (skipped) or more");
        }

        Samples = samples;
        if (backend is not (null or "legacy" or "nft"))
        {
            throw new ArgumentOutOfRangeException(nameof(backend), backend, "the iptables backend is legacy or nft");
        }

        Backend = backend;
        if (services.Count == 0 || services.Any(n => n is < 1 or > 50_000))
        {
            throw new ArgumentOutOfRangeException(nameof(services), "service counts must be 1-50000");
        }

        if (endpoints is < 1 or > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(endpoints), endpoints, "endpoints must be 1-250");
        }

        if (rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds must be at least 1");
        }

        Services = services;
        Endpoints = endpoints;
        Rounds = rounds;
    }

    public IReadOnlyList<int> Services { get; }

    public int Endpoints { get; }

    public int Rounds { get; }

    /// <summary>First-packet connects per Service and size (0 skips that phase).</summary>
    public int Samples { get; }

    /// <summary>null: the system's iptables; legacy or nft: iptables-legacy or iptables-nft, on both sides.</summary>
    public string? Backend { get; }

    public BenchmarkReport Run(IProgress<string>? progress = null)
    {
        var phases = new List<PhaseResult>();
        foreach (var count in Services)
        {
            var (services, slices) = Objects(count);
            var bare = new List<double>();
            var full = new List<double>();
            var partial = new List<double>();
            for (var round = 1; round <= Rounds; round++)
            {
                progress?.Report($"{count} services x {Endpoints} endpoints, round {round}/{Rounds}: strata full and partial sync");
                string payload = InScratchNamespace(path =>
                {
                    using var proxier = NewProxier(path);
                    var started = Stopwatch.StartNew();
                    var outcome = FullSync(proxier, services, slices);
                    full.Add(started.Elapsed.TotalSeconds);

                    var changed = Slice(count / 2, Endpoints, replaced: true);
                    started.Restart();
                    proxier.Tracker.UpsertEndpointSlice(changed);
                    Check(proxier.SyncOnce(), "partial");
                    partial.Add(started.Elapsed.TotalSeconds);
                    return outcome.Payload!.Text;
                });

                progress?.Report($"{count} services x {Endpoints} endpoints, round {round}/{Rounds}: bare iptables-restore");
                bare.Add(InScratchNamespace(path =>
                {
                    var iptables = new Netfilter.Iptables(path, backend: Backend);
                    var started = Stopwatch.StartNew();
                    iptables.Restore(payload);
                    return started.Elapsed.TotalSeconds;
                }));
            }

            phases.Add(new PhaseResult($"full-{count}", BenchmarkReport.Median(bare), BenchmarkReport.Median(full)));
            phases.Add(new PhaseResult($"partial-{count}", BenchmarkReport.Median(full), BenchmarkReport.Median(partial)));
            if (Samples > 0)
            {
                progress?.Report($"{count} services x {Endpoints} endpoints: first-packet connects to the first and last Service, {Samples} each");
                var (first, last) = InScratchNamespace(path => FirstPacket(path, services, slices));
                phases.Add(new PhaseResult($"first-p50-{count}", Percentile(first, 0.50), Percentile(last, 0.50)));
                phases.Add(new PhaseResult($"first-p99-{count}", Percentile(first, 0.99), Percentile(last, 0.99)));
            }
        }

        return new BenchmarkReport(
            "proxy",
            $"{string.Join('/', Services)} ClusterIP Services x {Endpoints} endpoints in a scratch namespace; full-N: Strata's full sync vs a bare restore of its payload; partial-N: Strata's partial sync of one changed Service vs its full sync"
                + (Samples > 0 ? $"; first-pXX-N: TCP connect latency to the last Service in KUBE-SERVICES (strata column) vs the first (reference column), {Samples} connects each" : ""),
            $"{(Backend is null ? "iptables-restore" : $"iptables-{Backend}-restore")} --noflush ({IptablesVersion()})",
            Rounds,
            phases);
    }

    /// <summary>
    /// Syncs the Services into the namespace, makes the cluster and endpoint ranges local (on lo, so a DNATed SYN reaches
    /// a listener on 0.0.0.0), then times connects to the first and the last Service's cluster IP, interleaved so that
    /// both see the same machine load. Seconds per connect.
    /// </summary>
    private (List<double> First, List<double> Last) FirstPacket(string path, List<V1Service> services, List<V1EndpointSlice> slices)
    {
        using var proxier = NewProxier(path);
        var outcome = FullSync(proxier, services, slices);
        var (first, last) = FirstAndLastClusterIPs(outcome.Payload!.Text);

        using var ns = NetworkNamespace.Open(path);
        using (var netlink = Rtnetlink.Open(ns))
        {
            netlink.SetLinkUp("lo");
            netlink.AddAddress("lo", IpPrefix.Parse("10.64.0.0/10"));
            netlink.AddAddress("lo", IpPrefix.Parse("10.96.0.0/12"));
        }

        using var listener = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(new IPEndPoint(IPAddress.Any, 8080));
        listener.Listen(4096);
        var accepting = Task.Run(() =>
        {
            try
            {
                while (true)
                {
                    listener.Accept().Dispose();
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });

        var firstTimes = new List<double>(Samples);
        var lastTimes = new List<double>(Samples);
        for (var i = -50; i < Samples; i++)
        {
            // The first 50 rounds warm up (JIT, caches) and are not kept.
            var a = Connect(ns, first);
            var b = Connect(ns, last);
            if (i >= 0)
            {
                firstTimes.Add(a);
                lastTimes.Add(b);
            }
        }

        listener.Close();
        accepting.Wait(TimeSpan.FromSeconds(5));
        return (firstTimes, lastTimes);
    }

    /// <summary>One connect from inside the namespace; an RST on close (linger 0) so no TIME_WAIT piles up.</summary>
    private static double Connect(NetworkNamespace ns, IPAddress clusterIP)
    {
        using var socket = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.LingerState = new LingerOption(true, 0);
        var started = Stopwatch.GetTimestamp();
        socket.Connect(new IPEndPoint(clusterIP, 80));
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>The destinations of the first and the last Service rule in nat KUBE-SERVICES, in the order applied.</summary>
    internal static (IPAddress First, IPAddress Last) FirstAndLastClusterIPs(string payload)
    {
        var ips = payload.Split('\n')
            .Where(l => l.StartsWith("-A KUBE-SERVICES ", StringComparison.Ordinal) && l.Contains(" cluster IP\" ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(f => IPAddress.Parse(f[Array.IndexOf(f, "-d") + 1]))
            .ToList();
        return ips.Count > 0 ? (ips[0], ips[^1]) : throw new InvalidOperationException("the payload has no cluster IP rule in KUBE-SERVICES");
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private IptablesProxier NewProxier(string path) => new(
        new ProxySettings { NodeName = "bench-node", NodeIP = "192.168.0.2", ClusterCidr = "10.64.0.0/10" },
        new Netfilter.Iptables(path, backend: Backend),
        new Conntrack(path),
        new NoSysctl(),
        NullLogger.Instance);

    /// <summary>The objects into the proxier's tracker, then its first (full) sync, which must succeed.</summary>
    private static SyncOutcome FullSync(IptablesProxier proxier, List<V1Service> services, List<V1EndpointSlice> slices)
    {
        foreach (var service in services)
        {
            proxier.Tracker.UpsertService(service);
        }

        foreach (var slice in slices)
        {
            proxier.Tracker.UpsertEndpointSlice(slice);
        }

        var outcome = proxier.SyncOnce();
        Check(outcome, "full");
        return outcome;
    }

    private static void Check(SyncOutcome outcome, string what)
    {
        if (!outcome.Success)
        {
            throw new InvalidOperationException($"the {what} sync failed: {outcome.Error}");
        }
    }

    private (List<V1Service> Services, List<V1EndpointSlice> Slices) Objects(int count)
    {
        var services = new List<V1Service>(count);
        var slices = new List<V1EndpointSlice>(count);
        for (var i = 0; i < count; i++)
        {
            services.Add(new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = new V1ObjectMeta { NamespaceProperty = "bench", Name = Name(i) },
                Spec = new V1ServiceSpec
                {
                    Type = "ClusterIP",
                    ClusterIP = $"10.96.{i / 250}.{(i % 250) + 1}",
                    Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
                },
            });
            slices.Add(Slice(i, Endpoints, replaced: false));
        }

        return (services, slices);
    }

    private static string Name(int i) => "svc-" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Endpoint addresses 10.(64 + i/4096).x.y, unique per Service; <paramref name="replaced"/> moves the first one.</summary>
    private static V1EndpointSlice Slice(int i, int endpoints, bool replaced) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            NamespaceProperty = "bench",
            Name = Name(i) + "-1",
            Labels = new Dictionary<string, string> { [EndpointSliceConversion.ServiceNameLabel] = Name(i) },
        },
        AddressType = "IPv4",
        Endpoints = [.. Enumerable.Range(0, endpoints).Select(e =>
        {
            var n = (i * 256) + e + (replaced && e == 0 ? 255 : 0);
            return new V1Endpoint { Addresses = [$"10.{64 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"] };
        })],
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
    };

    private static T InScratchNamespace<T>(Func<string, T> action)
    {
        var name = $"strata-bench-proxy-{Environment.ProcessId}";
        if (NetworkNamespace.Exists(name))
        {
            NetworkNamespace.Delete(name);
        }

        using (NetworkNamespace.Create(name))
        {
        }

        try
        {
            return action($"{NetworkNamespace.RunDirectory}/{name}");
        }
        finally
        {
            NetworkNamespace.Delete(name);
        }
    }

    private string IptablesVersion()
    {
        var result = new NetfilterCommand().Run(Backend is null ? "iptables-restore" : $"iptables-{Backend}-restore", ["--version"]);
        return (result.Stdout + result.Stderr).Trim();
    }

    /// <summary>The benchmark leaves the scratch namespace's sysctls alone.</summary>
    private sealed class NoSysctl : ISysctl
    {
        public string? Read(string key) => null;

        public void Write(string key, string value)
        {
        }
    }
}
