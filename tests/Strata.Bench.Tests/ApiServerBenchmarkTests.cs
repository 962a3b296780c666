using System.Text.Json.Nodes;

namespace Strata.Bench.Tests;

[Collection("benchmarks")]
public sealed class ApiServerBenchmarkTests
{
    [Fact]
    public async Task A_small_load_measures_every_backend_and_every_watcher_sees_every_event()
    {
        var report = await new ApiServerBenchmark(40, 3, 4, ApiServerBackends.Available()).RunAsync();

        Assert.Equal(ApiServerBackends.Available().Select(b => b.Name), report.Backends.Select(b => b.Backend));
        foreach (var backend in report.Backends)
        {
            Assert.Equal(0, backend.MissingEvents);
            Assert.True(backend.Services.OpsPerSecond > 0 && backend.Slices.OpsPerSecond > 0);
            Assert.True(backend.Services.P50Ms <= backend.Services.P99Ms);
            Assert.False(double.IsNaN(backend.WatchDeliveryP99Ms));
        }

        var json = JsonNode.Parse(report.ToJson())!;
        Assert.Equal("apiserver", (string?)json["benchmark"]);
        Assert.Equal(40, (int?)json["objects"]);
        Assert.NotNull(json["backends"]![0]!["watch_delivery_p99_ms"]);
        Assert.Contains("svc ops/s", report.ToText());
    }
}
