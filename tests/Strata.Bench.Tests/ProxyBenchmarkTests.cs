using Strata.Netlink;

namespace Strata.Bench.Tests;

[Collection("benchmarks")]
public sealed class ProxyBenchmarkTests
{
    [RootFact]
    public void A_small_run_reports_full_partial_and_first_packet_phases_and_leaves_no_namespace()
    {
        var report = new ProxyBenchmark([20], endpoints: 3, rounds: 1).Run();
        Assert.Equal(["full-20", "partial-20", "first-p50-20", "first-p99-20"], report.Phases.Select(p => p.Phase));
        Assert.All(report.Phases, p => Assert.True(p.ReferenceSeconds > 0 && p.StrataSeconds > 0, p.Phase));

        // The partial phase compares against Strata's own full sync.
        Assert.Equal(report.Phases[0].StrataSeconds, report.Phases[1].ReferenceSeconds);
        Assert.DoesNotContain($"strata-bench-proxy-{Environment.ProcessId}", NetworkNamespace.List());
    }

    [Theory]
    [InlineData(0, 10, 3, null)]
    [InlineData(100, 0, 3, null)]
    [InlineData(100, 10, 0, null)]
    [InlineData(100, 10, 3, "ipvs")]
    public void Bad_settings_are_refused(int services, int endpoints, int rounds, string? backend) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyBenchmark([services], endpoints, rounds, backend));
}
