using Strata.Netlink;

namespace Strata.Bench.Tests;

/// <summary>The benchmarks' tests share one collection: each checks that no strata-bench-* namespace is left, so they must not overlap.</summary>
[Collection("benchmarks")]
public sealed class NetlinkBenchmarkTests
{
    [Fact]
    public void Batch_script_does_the_same_operations_as_the_library_side()
    {
        var script = new NetlinkBenchmark(pairs: 3, rounds: 1).BatchScript().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "link add sv0 up group 77 type veth peer name sp0",
            "addr add 10.0.0.1/30 dev sv0",
            "route add 10.128.0.0/32 via 10.0.0.2 dev sv0",
            "link add sv1 up group 77 type veth peer name sp1",
            "addr add 10.0.0.5/30 dev sv1",
            "route add 10.128.0.1/32 via 10.0.0.6 dev sv1",
            "link add sv2 up group 77 type veth peer name sp2",
            "addr add 10.0.0.9/30 dev sv2",
            "route add 10.128.0.2/32 via 10.0.0.10 dev sv2",
        ], script);
    }

    [Fact]
    public void Addresses_never_collide_at_the_largest_size()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 60000; i++)
        {
            var (address, gateway, destination) = NetlinkBenchmark.Addresses(i);
            Assert.True(seen.Add(address.Network.ToString()), $"subnet {address.Network} repeats at {i}");
            Assert.True(seen.Add(destination.ToString()), $"destination {destination} repeats at {i}");
            Assert.Equal(address.Network, new IpPrefix(gateway, 30).Network);
        }
    }

    [Fact]
    public void Bad_sizes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetlinkBenchmark(pairs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NetlinkBenchmark(pairs: 10, rounds: 0));
    }

    [RootFact]
    public void A_small_run_measures_both_sides_and_leaves_nothing_behind()
    {
        var before = ScratchNamespaces.Bench();
        var report = new NetlinkBenchmark(pairs: 20, rounds: 2).Run();

        Assert.Equal(["create", "delete"], report.Phases.Select(p => p.Phase));
        Assert.All(report.Phases, p => Assert.True(p.ReferenceSeconds > 0 && p.StrataSeconds > 0));
        Assert.Equal(report.StrataSeconds / report.ReferenceSeconds, report.Ratio, 9);
        Assert.StartsWith("ip -batch (iproute2", report.Reference);

        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.Equal("netlink", json.RootElement.GetProperty("benchmark").GetString());
        Assert.True(json.RootElement.GetProperty("ratio").GetDouble() > 0);
        Assert.Contains("ratio (strata / reference):", report.ToText());
        Assert.Empty(ScratchNamespaces.Bench().Except(before));
    }

    [Fact]
    public void Median_of_even_and_odd_counts()
    {
        Assert.Equal(2.0, BenchmarkReport.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, BenchmarkReport.Median([4.0, 1.0, 2.0, 3.0]));
    }
}

[Collection("benchmarks")]
public sealed class CniBenchmarkTests
{
    [RootFact]
    public void A_small_churn_measures_every_plugin_set_and_leaks_nothing()
    {
        string plugins = Repository.Plugins;
        var before = ScratchNamespaces.Bench();
        var report = new CniBenchmark(plugins, containers: 3, parallelism: 2).Run();

        Assert.Equal(
            ["reference/sequential", "strata/sequential", "strata+flannel/sequential", "reference/concurrent", "strata/concurrent", "strata+flannel/concurrent"],
            report.Runs.Select(r => $"{r.Plugins}/{r.Mode}"));
        Assert.All(report.Runs, r => Assert.Empty(r.Leaks));
        Assert.All(report.Runs, r => Assert.True(r.Add.P50 > 0 && r.Del.P50 > 0 && r.Add.P99 >= r.Add.P50));
        Assert.True(report.Ratio > 0);
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.Equal(6, json.RootElement.GetProperty("runs").GetArrayLength());
        Assert.Empty(ScratchNamespaces.Bench().Except(before));
    }

    [Fact]
    public void Percentiles_pick_the_nearest_rank()
    {
        var summary = LatencySummary.Of(Enumerable.Range(1, 100).Select(i => (double)i).ToList());
        Assert.Equal(50, summary.P50);
        Assert.Equal(99, summary.P99);
        Assert.Throws<FileNotFoundException>(() => new CniBenchmark("/nonexistent"));
    }
}

/// <summary>The strata-bench-* namespaces now; a test compares before and after, so a benchmark run elsewhere on the machine is not counted.</summary>
internal static class ScratchNamespaces
{
    public static List<string> Bench() =>
        NetworkNamespace.List().Where(name => name.StartsWith("strata-bench-", StringComparison.Ordinal)).ToList();
}
