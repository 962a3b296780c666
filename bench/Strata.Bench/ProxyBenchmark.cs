using System.Diagnostics;
using System.Globalization;
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
/// </summary>
public sealed class ProxyBenchmark
{
    public ProxyBenchmark(IReadOnlyList<int> services, int endpoints = 10, int rounds = 3, string? backend = null)
    {
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
                    using var proxier = new IptablesProxier(
                        new ProxySettings { NodeName = "bench-node", NodeIP = "192.168.0.2", ClusterCidr = "10.64.0.0/10" },
                        new Netfilter.Iptables(path, backend: Backend),
                        new Conntrack(path),
                        new NoSysctl(),
                        NullLogger.Instance);
                    var started = Stopwatch.StartNew();
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
        }

        return new BenchmarkReport(
            "proxy",
            $"{string.Join('/', Services)} ClusterIP Services x {Endpoints} endpoints in a scratch namespace; full-N: Strata's full sync vs a bare restore of its payload; partial-N: Strata's partial sync of one changed Service vs its full sync",
            $"{(Backend is null ? "iptables-restore" : $"iptables-{Backend}-restore")} --noflush ({IptablesVersion()})",
            Rounds,
            phases);
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
