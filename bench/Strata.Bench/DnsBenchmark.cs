using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using Strata.ApiServer;
using Strata.ApiServer.Hosting;
using Strata.Controllers.Client;

namespace Strata.Bench;

/// <summary>One server's dnsperf run.</summary>
public sealed record DnsperfResult(string Server, double QueriesPerSecond, double AverageLatencyMs, long Sent, long Completed, long Lost, long RssBeforeKb, long RssAfterKb, string ResponseCodes = "");

/// <summary>A long dnsperf run with the server's RSS sampled every few seconds: memory that stays flat under steady load.</summary>
public sealed record DnsSoakResult(DnsperfResult Run, int Seconds, IReadOnlyList<long> RssSamplesKb)
{
    public long StartKb => RssSamplesKb.Count > 0 ? RssSamplesKb[0] : 0;

    public long PeakKb => RssSamplesKb.Count > 0 ? RssSamplesKb.Max() : 0;

    public long EndKb => RssSamplesKb.Count > 0 ? RssSamplesKb[^1] : 0;
}

/// <summary>Everything measured against one server, started once: UDP, then TCP, then the soak.</summary>
public sealed record DnsServerRuns(DnsperfResult Udp, DnsperfResult Tcp, DnsSoakResult? Soak);

/// <summary>
/// <c>strata bench dns</c>: Debian's dnsperf sends the same cluster names (hits, NXDOMAINs, headless names) to
/// <c>strata dns</c> and to BIND 9's <c>named</c> serving the same records as a static zone, one after the other,
/// each server pinned to the same core with <c>taskset</c> and dnsperf to another. Strata's records come from an API
/// server in this process (Services and EndpointSlices created through it); named's zone file is written from the
/// same list. <c>ratio</c> is Strata's QPS over named's, so above 1.0 means Strata answers more.
/// </summary>
public sealed partial class DnsBenchmark(string strataPath, int services, int headless, int seconds, int soakSeconds = 60, int serverCore = 0, int clientCore = 1)
{
    private const int SoakSampleSeconds = 5;

    private const string Zone = "cluster.local";
    private const string Namespace = "bench";

    public async Task<DnsBenchmarkReport> RunAsync(Action<string>? progress = null, CancellationToken ct = default)
    {
        foreach (var tool in new[] { "/usr/sbin/named", "/usr/bin/dnsperf", "/usr/bin/taskset" })
        {
            if (!File.Exists(tool))
            {
                throw new IOException($"bench dns needs {tool} (apt-get install bind9 dnsperf util-linux)");
            }
        }

        var directory = Directory.CreateTempSubdirectory("strata-bench-dns-").FullName;
        try
        {
            var records = Records();
            var queries = Path.Combine(directory, "queries.txt");
            File.WriteAllLines(queries, Queries(records));
            var options = new ApiServerOptions { DataDirectory = Path.Combine(directory, "apiserver"), Listen = ["127.0.0.1:0"] };
            await using var host = await ApiServerHost.StartAsync(options, cancellationToken: ct);
            progress?.Invoke($"creating {services} Services and {headless} headless Services with EndpointSlices");
            await CreateAsync(new RegistryKubeClient(host.Registry), records, ct);

            progress?.Invoke($"strata dns on core {serverCore}, dnsperf on core {clientCore}, {seconds} s");
            var strataPort = FreePort();
            var strata = await RunServerAsync("strata",
                [strataPath, "dns", "--kubeconfig", host.KubeconfigPath, "--listen", $"127.0.0.1:{strataPort}", "--config-map", "", "--upstream", "127.0.0.1:9"],
                strataPort, queries, ct);

            progress?.Invoke($"named on core {serverCore}, dnsperf on core {clientCore}, {seconds} s");
            File.WriteAllText(Path.Combine(directory, "zone.db"), ZoneFile(records));
            var namedPort = FreePort();
            File.WriteAllText(Path.Combine(directory, "named.conf"), $$"""
                options {
                    directory "{{directory}}";
                    pid-file "{{directory}}/named.pid";
                    listen-on port {{namedPort}} { 127.0.0.1; };
                    listen-on-v6 { none; };
                    recursion no;
                    dnssec-validation no;
                    allow-query { any; };
                };
                controls { };
                zone "{{Zone}}" { type primary; file "{{directory}}/zone.db"; };
                """);
            var named = await RunServerAsync("bind9",
                ["/usr/sbin/named", "-g", "-n", "1", "-c", Path.Combine(directory, "named.conf")],
                namedPort, queries, ct);
            return new DnsBenchmarkReport(
                $"{services} ClusterIP Services, {headless} headless Services of 3 endpoints; queries: 60% Service A, 20% headless A, 20% NXDOMAIN, " +
                $"{seconds} s each over UDP and over TCP" + (soakSeconds > 0 ? $", then a {soakSeconds} s UDP soak" : ""),
                strata.Udp, named.Udp, strata.Tcp, named.Tcp, strata.Soak, named.Soak);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The benchmark's cluster: name → addresses (ClusterIPs, or a headless Service's endpoints).</summary>
    private Dictionary<string, string[]> Records()
    {
        var records = new Dictionary<string, string[]>();
        for (var i = 0; i < services; i++)
        {
            records[$"svc-{i}"] = [$"10.233.{1 + (i / 250)}.{1 + (i % 250)}"];
        }

        for (var i = 0; i < headless; i++)
        {
            records[$"hdls-{i}"] = [.. Enumerable.Range(0, 3).Select(e => $"10.233.{64 + (i / 80)}.{1 + ((i % 80) * 3) + e}")];
        }

        return records;
    }

    private IEnumerable<string> Queries(Dictionary<string, string[]> records)
    {
        var random = new Random(53);
        for (var i = 0; i < 10_000; i++)
        {
            var pick = random.Next(10);
            yield return pick switch
            {
                < 6 => $"svc-{random.Next(services)}.{Namespace}.svc.{Zone} A",
                < 8 => $"hdls-{random.Next(Math.Max(1, headless))}.{Namespace}.svc.{Zone} A",
                _ => $"missing-{random.Next(100_000)}.{Namespace}.svc.{Zone} A",
            };
        }
    }

    private static string ZoneFile(Dictionary<string, string[]> records)
    {
        var zone = new StringBuilder();
        zone.AppendLine("$TTL 30");
        zone.AppendLine($"@ IN SOA ns.dns.{Zone}. hostmaster.{Zone}. 1 7200 1800 86400 30");
        zone.AppendLine($"@ IN NS ns.dns.{Zone}.");
        zone.AppendLine("ns.dns IN A 10.233.0.3");
        foreach (var (name, addresses) in records)
        {
            foreach (var address in addresses)
            {
                zone.AppendLine($"{name}.{Namespace}.svc IN A {address}");
            }
        }

        return zone.ToString();
    }

    private static async Task CreateAsync(IKubeClient client, Dictionary<string, string[]> records, CancellationToken ct)
    {
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } }, ct);
        foreach (var (name, addresses) in records)
        {
            var isHeadless = name.StartsWith("hdls-", StringComparison.Ordinal);
            await client.CreateAsync(new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
                Spec = new V1ServiceSpec
                {
                    ClusterIP = isHeadless ? "None" : addresses[0],
                    Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }],
                },
            }, ct);
            if (isHeadless)
            {
                await client.CreateAsync(new V1EndpointSlice
                {
                    ApiVersion = "discovery.k8s.io/v1",
                    Kind = "EndpointSlice",
                    Metadata = new V1ObjectMeta { Name = name + "-1", NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name } },
                    AddressType = "IPv4",
                    Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 80, Protocol = "TCP" }],
                    Endpoints = [.. addresses.Select(a => new V1Endpoint { Addresses = [a], Conditions = new V1EndpointConditions { Ready = true } })],
                }, ct);
            }
        }
    }

    private async Task<DnsServerRuns> RunServerAsync(string label, string[] argv, int port, string queries, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/usr/bin/taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", serverCore.ToString(CultureInfo.InvariantCulture) }.Concat(argv))
        {
            start.ArgumentList.Add(arg);
        }

        using var server = Process.Start(start) ?? throw new IOException($"cannot start {argv[0]}");
        var output = new StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await WaitUntilAnsweringAsync(label, port, server, output, ct);
            var udp = await DnsperfAsync(label, "udp", port, queries, seconds, server, ct);
            var tcp = await DnsperfAsync(label, "tcp", port, queries, seconds, server, ct);
            DnsSoakResult? soak = null;
            if (soakSeconds > 0)
            {
                var samples = new List<long> { RssKb(server.Id) };
                using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var sampler = Task.Run(async () =>
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(SoakSampleSeconds));
                    while (await timer.WaitForNextTickAsync(sampling.Token))
                    {
                        lock (samples)
                        {
                            samples.Add(RssKb(server.Id));
                        }
                    }
                }, CancellationToken.None);
                var run = await DnsperfAsync(label, "udp", port, queries, soakSeconds, server, ct);
                await sampling.CancelAsync();
                try
                {
                    await sampler;
                }
                catch (OperationCanceledException)
                {
                }

                lock (samples)
                {
                    samples.Add(RssKb(server.Id));
                    soak = new DnsSoakResult(run, soakSeconds, [.. samples]);
                }
            }

            return new DnsServerRuns(udp, tcp, soak);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private async Task<DnsperfResult> DnsperfAsync(string label, string mode, int port, string queries, int runSeconds, Process server, CancellationToken ct)
    {
        var before = RssKb(server.Id);
        var (code, stdout, stderr) = await RunAsync("/usr/bin/taskset",
            ["-c", clientCore.ToString(CultureInfo.InvariantCulture), "/usr/bin/dnsperf", "-m", mode, "-s", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
             "-d", queries, "-l", runSeconds.ToString(CultureInfo.InvariantCulture), "-c", "4", "-q", "200", "-t", "2"], ct);
        if (code != 0)
        {
            throw new IOException($"dnsperf -m {mode} against {label} exited {code}: {stderr.Trim()}");
        }

        return Parse(label, stdout, before, RssKb(server.Id));
    }

    /// <summary>Until the server answers a cluster name with an address (for strata dns: its informers have synced).</summary>
    private static async Task WaitUntilAnsweringAsync(string label, int port, Process server, StringBuilder output, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (server.HasExited)
            {
                throw new IOException($"{label} exited {server.ExitCode}: {output.ToString().Trim()}");
            }

            var (_, stdout, _) = await RunAsync("/usr/bin/dig", ["@127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "+short", "+time=1", "+tries=1", $"svc-0.{Namespace}.svc.{Zone}"], ct);
            if (stdout.Trim() == "10.233.1.1")
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"{label} did not answer svc-0.{Namespace}.svc.{Zone} within 60 s: {output.ToString().Trim()}");
            }

            await Task.Delay(100, ct);
        }
    }

    internal static DnsperfResult Parse(string label, string stdout, long rssBefore, long rssAfter)
    {
        double Number(Regex pattern) => pattern.Match(stdout) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new IOException($"dnsperf output has no {pattern}: {stdout}");

        return new DnsperfResult(label,
            Number(QpsPattern()),
            Number(LatencyPattern()) * 1000,
            (long)Number(SentPattern()),
            (long)Number(CompletedPattern()),
            (long)Number(LostPattern()),
            rssBefore, rssAfter,
            RcodePattern().Match(stdout) is { Success: true } codes ? codes.Groups[1].Value.Trim() : "");
    }

    [GeneratedRegex(@"Queries per second:\s+([\d.]+)")]
    private static partial Regex QpsPattern();

    [GeneratedRegex(@"Average Latency \(s\):\s+([\d.]+)")]
    private static partial Regex LatencyPattern();

    [GeneratedRegex(@"Queries sent:\s+(\d+)")]
    private static partial Regex SentPattern();

    [GeneratedRegex(@"Queries completed:\s+(\d+)")]
    private static partial Regex CompletedPattern();

    [GeneratedRegex(@"Queries lost:\s+(\d+)")]
    private static partial Regex LostPattern();

    [GeneratedRegex(@"Response codes:\s+(.+)")]
    private static partial Regex RcodePattern();

    private static long RssKb(int pid)
    {
        // taskset execs the server, so the PID is the server's own.
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new IOException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static int FreePort()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)udp.LocalEndPoint!).Port;
    }
}

/// <summary>
/// Both servers' dnsperf figures: UDP (<see cref="Ratio"/> = Strata QPS / bind9 QPS), TCP (<see cref="TcpRatio"/>) and
/// the soak's RSS samples.
/// </summary>
public sealed record DnsBenchmarkReport(string Workload, DnsperfResult Strata, DnsperfResult Bind9,
    DnsperfResult? StrataTcp = null, DnsperfResult? Bind9Tcp = null, DnsSoakResult? StrataSoak = null, DnsSoakResult? Bind9Soak = null)
{
    /// <summary>CoreDNS's published figure for cluster names, per vCPU (the issue's goal is twice this).</summary>
    public const double CoreDnsQpsPerCpu = 17_000;

    public double Ratio => Strata.QueriesPerSecond / Bind9.QueriesPerSecond;

    public double? TcpRatio => StrataTcp is { } s && Bind9Tcp is { } b ? s.QueriesPerSecond / b.QueriesPerSecond : null;

    /// <summary>The load average while the report was made: the machine is shared, and the figures depend on it.</summary>
    public string LoadAverage { get; init; } = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: dns");
        text.AppendLine($"workload:  {Workload}");
        text.AppendLine("reference: BIND 9 named (static zone), both servers on one core, dnsperf on another");
        if (LoadAverage.Length > 0)
        {
            text.AppendLine($"load average: {LoadAverage}");
        }

        text.AppendLine();
        text.AppendLine($"{"server",-8} {"transport",-9} {"qps",10} {"avg latency",12} {"lost",8} {"rss before",11} {"rss after",10}");
        foreach (var (transport, r) in new[] { ("udp", Bind9), ("udp", Strata), ("tcp", Bind9Tcp), ("tcp", StrataTcp) })
        {
            if (r is not null)
            {
                text.AppendLine($"{r.Server,-8} {transport,-9} {r.QueriesPerSecond,10:F0} {r.AverageLatencyMs,9:F3} ms {r.Lost,8} {r.RssBeforeKb / 1024.0,8:F1} MB {r.RssAfterKb / 1024.0,7:F1} MB");
            }
        }

        text.AppendLine();
        foreach (var r in new[] { Bind9, Strata })
        {
            text.AppendLine($"{r.Server} response codes: {r.ResponseCodes}");
        }

        if (StrataSoak is not null || Bind9Soak is not null)
        {
            text.AppendLine();
            text.AppendLine($"soak: {(StrataSoak ?? Bind9Soak)!.Seconds} s of UDP, RSS sampled every 5 s");
            text.AppendLine($"{"server",-8} {"qps",10} {"queries",10} {"rss start",10} {"rss peak",9} {"rss end",8}");
            foreach (var soak in new[] { Bind9Soak, StrataSoak })
            {
                if (soak is not null)
                {
                    text.AppendLine($"{soak.Run.Server,-8} {soak.Run.QueriesPerSecond,10:F0} {soak.Run.Completed,10} {soak.StartKb / 1024.0,7:F1} MB {soak.PeakKb / 1024.0,6:F1} MB {soak.EndKb / 1024.0,5:F1} MB");
                }
            }
        }

        text.AppendLine();
        text.AppendLine($"ratio (strata qps / bind9 qps): {Ratio:F3}");
        if (TcpRatio is { } tcp)
        {
            text.AppendLine($"tcp ratio (strata qps / bind9 qps over TCP): {tcp:F3}");
        }

        text.AppendLine($"strata qps / CoreDNS's published {CoreDnsQpsPerCpu:F0} per vCPU: {Strata.QueriesPerSecond / CoreDnsQpsPerCpu:F2}");
        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", "dns");
            json.WriteString("workload", Workload);
            json.WriteString("reference", "bind9 named");
            json.WriteString("load_average", LoadAverage);
            foreach (var (name, r) in new[] { (Strata.Server, Strata), (Bind9.Server, Bind9), (Strata.Server + "_tcp", StrataTcp), (Bind9.Server + "_tcp", Bind9Tcp) })
            {
                if (r is not null)
                {
                    json.WriteStartObject(name);
                    WriteRun(json, r);
                    json.WriteEndObject();
                }
            }

            foreach (var soak in new[] { StrataSoak, Bind9Soak })
            {
                if (soak is not null)
                {
                    json.WriteStartObject(soak.Run.Server + "_soak");
                    json.WriteNumber("seconds", soak.Seconds);
                    WriteRun(json, soak.Run);
                    json.WriteNumber("rss_start_kb", soak.StartKb);
                    json.WriteNumber("rss_peak_kb", soak.PeakKb);
                    json.WriteNumber("rss_end_kb", soak.EndKb);
                    json.WriteStartArray("rss_samples_kb");
                    foreach (var sample in soak.RssSamplesKb)
                    {
                        json.WriteNumberValue(sample);
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }
            }

            json.WriteNumber("ratio", Math.Round(Ratio, 4));
            if (TcpRatio is { } tcp)
            {
                json.WriteNumber("tcp_ratio", Math.Round(tcp, 4));
            }

            json.WriteNumber("coredns_published_qps_per_cpu", CoreDnsQpsPerCpu);
        });
    }

    private static void WriteRun(Utf8JsonWriter json, DnsperfResult r)
    {
        json.WriteNumber("qps", Math.Round(r.QueriesPerSecond, 1));
        json.WriteNumber("avg_latency_ms", Math.Round(r.AverageLatencyMs, 4));
        json.WriteNumber("sent", r.Sent);
        json.WriteNumber("completed", r.Completed);
        json.WriteNumber("lost", r.Lost);
        json.WriteNumber("rss_before_kb", r.RssBeforeKb);
        json.WriteNumber("rss_after_kb", r.RssAfterKb);
        json.WriteString("response_codes", r.ResponseCodes);
    }
}
