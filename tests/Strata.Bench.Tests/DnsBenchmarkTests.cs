using Strata.Bench;

namespace Strata.Bench.Tests;

/// <summary>bench dns reads dnsperf's report; the text below is dnsperf 2.10.0's (Debian bookworm) output, verbatim.</summary>
public sealed class DnsBenchmarkTests
{
    private const string DnsperfOutput = """
        DNS Performance Testing Tool
        Version 2.10.0

        [Status] Command line: dnsperf -s 127.0.0.1 -p 25353 -d queries.txt -l 1
        [Status] Sending queries (to 127.0.0.1:25353)
        [Status] Started at: Sun Dec  6 05:20:03 2026
        [Status] Stopping after 1.000000 seconds
        [Status] Testing complete (time limit)

        Statistics:

          Queries sent:         47720
          Queries completed:    47720 (100.00%)
          Queries lost:         0 (0.00%)

          Response codes:       NOERROR 23860 (50.00%), NXDOMAIN 23860 (50.00%)
          Average packet size:  request 21, response 49
          Run time (s):         1.000075
          Queries per second:   47716.421268

          Average Latency (s):  0.001744 (min 0.000032, max 0.011909)
          Latency StdDev (s):   0.001979
        """;

    [Fact]
    public void DnsperfFiguresAreRead()
    {
        var result = DnsBenchmark.Parse("bind9", DnsperfOutput, 1000, 1200);
        Assert.Equal(47716.421268, result.QueriesPerSecond, 6);
        Assert.Equal(1.744, result.AverageLatencyMs, 6);
        Assert.Equal(47720, result.Sent);
        Assert.Equal(47720, result.Completed);
        Assert.Equal(0, result.Lost);
        Assert.Equal("NOERROR 23860 (50.00%), NXDOMAIN 23860 (50.00%)", result.ResponseCodes);
    }

    [Fact]
    public void OutputWithoutFiguresIsAnErrorThatShowsIt()
    {
        var e = Assert.Throws<IOException>(() => DnsBenchmark.Parse("strata", "dnsperf: could not open queries.txt", 0, 0));
        Assert.Equal("dnsperf output has no Queries per second:\\s+([\\d.]+): dnsperf: could not open queries.txt", e.Message);
    }

    [Fact]
    public void TheReportGivesTheRatioOfStrataToBind9()
    {
        var report = new DnsBenchmarkReport("w", new DnsperfResult("strata", 30000, 1, 1, 1, 0, 1024, 2048), new DnsperfResult("bind9", 20000, 2, 1, 1, 0, 1024, 1024));
        Assert.Equal(1.5, report.Ratio);
        Assert.Contains("\"ratio\": 1.5,", report.ToJson());
        Assert.Contains("ratio (strata qps / bind9 qps): 1.500", report.ToText());
    }

    [Fact]
    public void TheReportHasTheTcpRowsTheirRatioAndTheSoaksMemory()
    {
        static DnsperfResult Run(string server, double qps) => new(server, qps, 1, 10, 10, 0, 1024, 2048);
        var report = new DnsBenchmarkReport("w", Run("strata", 30000), Run("bind9", 20000), Run("strata", 12000), Run("bind9", 16000),
            new DnsSoakResult(Run("strata", 29000), 60, [100 * 1024, 130 * 1024, 120 * 1024]), new DnsSoakResult(Run("bind9", 21000), 60, [30 * 1024, 31 * 1024]))
        {
            LoadAverage = "3.10 2.50 2.00",
        };
        Assert.Equal(0.75, report.TcpRatio);
        var text = report.ToText();
        Assert.Contains("load average: 3.10 2.50 2.00", text);
        Assert.Contains("strata   tcp            12000", text);
        Assert.Contains("tcp ratio (strata qps / bind9 qps over TCP): 0.750", text);
        Assert.Contains("soak: 60 s of UDP, RSS sampled every 5 s", text);
        Assert.Contains("strata        29000         10   100.0 MB  130.0 MB 120.0 MB", text);
        var json = report.ToJson();
        Assert.Contains("\"tcp_ratio\": 0.75,", json);
        Assert.Contains("\"strata_tcp\": {", json);
        Assert.Contains("\"rss_peak_kb\": 133120,", json);
        Assert.Contains("\"load_average\": \"3.10 2.50 2.00\"", json);
    }
}
