namespace Strata.Bench.Tests;

public sealed class IngressBenchmarkTests
{
    private const string WrkOutput = """
        Running 3s test @ http://127.0.0.1:8080/small
          1 threads and 50 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     5.61ms    4.34ms  43.52ms   83.06%
            Req/Sec     9.30k     1.21k   11.40k    70.00%
          Latency Distribution
             50%  850.00us
             75%    7.11ms
             90%   10.50ms
             99%    1.20s
          27763 requests in 3.00s, 4.53MB read
          Socket errors: connect 0, read 3, write 0, timeout 1
          Non-2xx or 3xx responses: 12
        Requests/sec:   9247.93
        Transfer/sec:      1.51MB
        """;

    [Fact]
    public void WrksSummaryIsParsedWithUnits()
    {
        var result = IngressBenchmark.ParseWrk(WrkOutput);
        Assert.Equal(new LoadResult(9247.93, 0.85, 1200, 27763, 16), result);
    }

    [Fact]
    public void TheReportGivesCpuPerRequestAndTheRatioAtEqualCpu()
    {
        var row = new IngressBenchRow("small", new LoadResult(20000, 1, 2, 100000, 0, 25), new LoadResult(15000, 1, 2, 75000, 0, 50));
        Assert.Equal(0.75, row.Ratio);
        Assert.Equal(0.5, row.CpuRatio);
        var report = new IngressBenchReport("w", "r", [row]);
        var text = report.ToText();
        Assert.Contains("small  nginx        20000     1.00     2.00       0        25.0", text, StringComparison.Ordinal);
        Assert.Contains("small  strata       15000     1.00     2.00       0        50.0", text, StringComparison.Ordinal);
        Assert.Contains("small  cpu          0.500  (nginx cpu us/req / strata cpu us/req: the ratio at equal CPU)", text, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        var body = json.RootElement.GetProperty("bodies")[0];
        Assert.Equal(0.5, body.GetProperty("cpu_ratio").GetDouble());
        Assert.Equal(50, body.GetProperty("strata").GetProperty("cpu_us_per_request").GetDouble());
    }

    [Fact]
    public void WithoutCpuFiguresTheReportLeavesThemOut()
    {
        var row = new IngressBenchRow("small", new LoadResult(20000, 1, 2, 100000, 0), new LoadResult(15000, 1, 2, 75000, 0));
        Assert.Null(row.CpuRatio);
        Assert.DoesNotContain("the ratio at equal CPU", new IngressBenchReport("w", "r", [row]).ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public void WrkOutputWithoutPercentilesIsAnError()
    {
        var e = Assert.Throws<FormatException>(() => IngressBenchmark.ParseWrk("Requests/sec: 1.0\n10 requests in 1s"));
        Assert.Contains("50% latency", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BothNginxConfigurationsPassNginxT()
    {
        var dir = Directory.CreateTempSubdirectory("strata-bench-ingress-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "backend.conf"), IngressBenchmark.BackendConfig(dir, 18080, 18082));
            File.WriteAllText(Path.Combine(dir, "nginx.conf"), IngressBenchmark.ReferenceConfig(dir, 18081, 18080, 1));
            foreach (var conf in new[] { "backend.conf", "nginx.conf" })
            {
                var (code, stdout, stderr) = Tool.Run("nginx", "-t", "-p", dir, "-c", Path.Combine(dir, conf));
                Assert.True(code == 0, $"{conf}: {stdout}{stderr}");
                Assert.Contains("test is successful", stderr, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheRatioIsStrataOverNginx()
    {
        var row = new IngressBenchRow("small", new LoadResult(1000, 1, 2, 10, 0), new LoadResult(1500, 1, 2, 15, 0));
        Assert.Equal(1.5, row.Ratio);
        var report = new IngressBenchReport("w", "r", [row], [new ChangeResult("strata", 0.12, 1000, 0)]);
        Assert.Contains("\"ratio\": 1.5", report.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"failed_requests\": 0", report.ToJson(), StringComparison.Ordinal);
        Assert.Contains("strata       120.0 ms      1000       0", report.ToText(), StringComparison.Ordinal);
        Assert.Contains("small  ratio        1.500", report.ToText(), StringComparison.Ordinal);
    }
}
