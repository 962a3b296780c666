using System.Text.Json;
using Strata.Netlink;

namespace Strata.Bench.Tests;

[Collection("benchmarks")]
public sealed class BackendsBenchmarkTests
{
    [Fact]
    public void Report_shows_each_path_as_a_percentage_of_the_underlay()
    {
        var report = new BackendsReport(4, 5, 3, 2000,
        [
            new PathResult("node to node (underlay)", "baseline", 10, 100, 30),
            new PathResult("pod to pod, host-gw", "about 10% loss", 9, 90, 33),
            new PathResult("pod to pod, vxlan", "20-30% loss", 7.5, 75, 40),
        ]);

        string text = report.ToText();
        Assert.Contains("node to node (underlay)         10.00     100%     30.0  baseline", text, StringComparison.Ordinal);
        Assert.Contains("pod to pod, host-gw              9.00      90%     33.0  about 10% loss", text, StringComparison.Ordinal);
        Assert.Contains("pod to pod, vxlan                7.50      75%     40.0  20-30% loss", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(75, json.RootElement.GetProperty("paths")[2].GetProperty("percent_of_baseline").GetDouble());
    }

    [RootFact]
    public async Task Every_path_carries_traffic_and_nothing_is_left()
    {
        var benchmark = new BackendsBenchmark(streams: 2, seconds: 1, roundTrips: 200, rounds: 2);
        var report = await benchmark.RunAsync(_ => { }, CancellationToken.None);

        Assert.Equal(
            ["node to node (underlay)", "pod to pod, same node", "pod to pod, host-gw", "pod to pod, vxlan", "node to node, kernel vxlan", "pod to pod, udp, per packet", "pod to pod, udp"],
            report.Paths.Select(p => p.Path));
        Assert.All(report.Paths, p => Assert.True(p.GbitPerSecond > 0 && p.PercentOfBaseline > 0 && p.RoundTripMicros > 0, $"{p.Path}: {p.GbitPerSecond} Gbit/s, {p.PercentOfBaseline}%, {p.RoundTripMicros} µs"));
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith(benchmark.NamespacePrefix, StringComparison.Ordinal));
    }
}
