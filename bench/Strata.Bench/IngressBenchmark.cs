using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Strata.Bench;

/// <summary>
/// One load run through one proxy: wrk's requests/s, latency percentiles and failed requests, and the proxy's own CPU
/// time (user + system of its processes) per request over the run.
/// </summary>
public sealed record LoadResult(double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, long Requests, long Errors, double? CpuMicrosecondsPerRequest = null);

/// <summary>A body size measured through Debian nginx (configured as ingress-nginx renders it) and through Strata.</summary>
public sealed record IngressBenchRow(string Body, LoadResult Nginx, LoadResult Strata)
{
    /// <summary>Strata's requests/s over nginx's: above 1.0 Strata serves more.</summary>
    public double Ratio => Strata.RequestsPerSecond / Nginx.RequestsPerSecond;

    /// <summary>
    /// nginx's CPU time per request over Strata's: the requests/s ratio at equal CPU (above 1.0 Strata needs less), which
    /// holds on a shared machine where the proxies' core is not theirs alone.
    /// </summary>
    public double? CpuRatio => Nginx.CpuMicrosecondsPerRequest / Strata.CpuMicrosecondsPerRequest;
}

/// <summary>
/// An Ingress change under load: the backend of the rule is switched while wrk runs; how long until a probe sees the
/// new backend, and how many of wrk's requests failed meanwhile (nginx: a new nginx.conf and SIGHUP, as ingress-nginx
/// reloads; Strata: the new manifest, no reload).
/// </summary>
public sealed record ChangeResult(string Proxy, double SecondsToTakeEffect, long Requests, long FailedRequests);

public sealed record IngressBenchReport(string Workload, string Reference, IReadOnlyList<IngressBenchRow> Rows, IReadOnlyList<ChangeResult>? Changes = null)
{
    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: ingress");
        text.AppendLine($"workload:  {Workload}");
        text.AppendLine($"reference: {Reference}");
        text.AppendLine();
        text.AppendLine($"{"body",-6} {"proxy",-7} {"req/s",10} {"p50 ms",8} {"p99 ms",8} {"errors",7} {"cpu us/req",11}");
        foreach (var row in Rows)
        {
            Line(text, row.Body, "nginx", row.Nginx);
            Line(text, row.Body, "strata", row.Strata);
            text.AppendLine($"{row.Body,-6} ratio   {row.Ratio,10:F3}  (strata req/s / nginx req/s)");
            if (row.CpuRatio is { } cpuRatio)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{row.Body,-6} cpu     {cpuRatio,10:F3}  (nginx cpu us/req / strata cpu us/req: the ratio at equal CPU)");
            }
        }

        if (Changes is { Count: > 0 })
        {
            text.AppendLine();
            text.AppendLine("an Ingress change under load (the rule's backend switched while wrk runs):");
            text.AppendLine($"{"proxy",-7} {"takes effect",13} {"requests",9} {"failed",7}");
            foreach (var change in Changes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{change.Proxy,-7} {change.SecondsToTakeEffect * 1000,10:F1} ms {change.Requests,9} {change.FailedRequests,7}");
            }
        }

        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", "ingress");
            json.WriteString("workload", Workload);
            json.WriteString("reference", Reference);
            json.WriteStartArray("bodies");
            foreach (var row in Rows)
            {
                json.WriteStartObject();
                json.WriteString("body", row.Body);
                Write(json, "nginx", row.Nginx);
                Write(json, "strata", row.Strata);
                json.WriteNumber("ratio", Math.Round(row.Ratio, 4));
                if (row.CpuRatio is { } cpuRatio)
                {
                    json.WriteNumber("cpu_ratio", Math.Round(cpuRatio, 4));
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("change_under_load");
            foreach (var change in Changes ?? [])
            {
                json.WriteStartObject();
                json.WriteString("proxy", change.Proxy);
                json.WriteNumber("seconds_to_take_effect", Math.Round(change.SecondsToTakeEffect, 4));
                json.WriteNumber("requests", change.Requests);
                json.WriteNumber("failed_requests", change.FailedRequests);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    private static void Line(StringBuilder text, string body, string proxy, LoadResult r) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"{body,-6} {proxy,-7} {r.RequestsPerSecond,10:F0} {r.P50Milliseconds,8:F2} {r.P99Milliseconds,8:F2} {r.Errors,7} {(r.CpuMicrosecondsPerRequest is { } cpu ? cpu.ToString("F1", CultureInfo.InvariantCulture) : "-"),11}");

    private static void Write(Utf8JsonWriter json, string name, LoadResult r)
    {
        json.WriteStartObject(name);
        json.WriteNumber("requests_per_second", Math.Round(r.RequestsPerSecond, 1));
        json.WriteNumber("p50_ms", Math.Round(r.P50Milliseconds, 3));
        json.WriteNumber("p99_ms", Math.Round(r.P99Milliseconds, 3));
        json.WriteNumber("requests", r.Requests);
        json.WriteNumber("errors", r.Errors);
        if (r.CpuMicrosecondsPerRequest is { } cpu)
        {
            json.WriteNumber("cpu_us_per_request", Math.Round(cpu, 2));
        }

        json.WriteEndObject();
    }
}

/// <summary>
/// <c>strata bench ingress</c>: wrk through Debian nginx, configured as ingress-nginx renders one Ingress (upstream
/// keep-alive 320, HTTP/1.1 upstream, its proxy_set_header lines, proxy buffering off), and through <c>strata ingress
/// --manifest</c> serving the same Ingress; both forward to the same nginx backend (a small body and a 100 KB file). The
/// two proxies are pinned to the same CPUs (nginx worker_processes and DOTNET_PROCESSOR_COUNT equal to their count);
/// wrk and the backend run on the other CPUs. Loopback only, no root needed. Runs alternate nginx/Strata per body.
/// Each proxy is warmed up for <paramref name="warmupSeconds"/> per body first: the JIT needs tens of seconds of load on
/// one contended core to reach its optimized code, and the ingress runs for days, so the measure is its steady state.
/// </summary>
public sealed partial class IngressBenchmark(string strata, int connections, int seconds, int proxyCpus, int warmupSeconds = IngressBenchmark.DefaultWarmupSeconds)
{
    public const int DefaultWarmupSeconds = 20;

    private const string Host = "bench.example.com";

    public async Task<IngressBenchReport> RunAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        var cpus = Environment.ProcessorCount;
        if (warmupSeconds < 0)
        {
            throw new ArgumentException($"--warmup: {warmupSeconds} is not a number of seconds (0 or more)");
        }

        if (proxyCpus < 1 || proxyCpus >= cpus)
        {
            throw new ArgumentException($"--proxy-cpus must be between 1 and {cpus - 1} (the rest runs wrk and the backend)");
        }

        var proxySet = $"{cpus - proxyCpus}-{cpus - 1}";
        var loadSet = $"0-{cpus - proxyCpus - 1}";
        var dir = Directory.CreateTempSubdirectory("strata-bench-ingress-").FullName;
        var processes = new List<Process>();
        try
        {
            var backendPort = FreePort();
            var secondBackendPort = FreePort();
            var nginxPort = FreePort();
            var strataPort = FreePort();
            var strataTlsPort = FreePort();
            // nginx's workers run as www-data: they read the 100 KB file through the (otherwise 0700) temporary directory.
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            }

            Directory.CreateDirectory(Path.Combine(dir, "www"));
            await File.WriteAllBytesAsync(Path.Combine(dir, "www", "big"), Enumerable.Repeat((byte)'x', 100 * 1024).ToArray(), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir, "backend.conf"), BackendConfig(dir, backendPort, secondBackendPort), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), ReferenceConfig(dir, nginxPort, backendPort, proxyCpus), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir, "ingress.yaml"), Manifest(backendPort), cancellationToken);

            processes.Add(Start("taskset", ["-c", loadSet, "nginx", "-p", dir, "-c", Path.Combine(dir, "backend.conf")], null));
            processes.Add(Start("taskset", ["-c", proxySet, "nginx", "-p", dir, "-c", Path.Combine(dir, "nginx.conf")], null));
            processes.Add(Start("taskset", ["-c", proxySet, strata, "ingress", "--manifest", Path.Combine(dir, "ingress.yaml"),
                "--bind-address", "127.0.0.1", "--http-port", $"{strataPort}", "--https-port", $"{strataTlsPort}"],
                new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = $"{proxyCpus}" }));
            foreach (var port in new[] { backendPort, secondBackendPort, nginxPort, strataPort })
            {
                await WaitReadyAsync(port, processes, cancellationToken);
            }

            var rows = new List<IngressBenchRow>();
            foreach (var (body, path) in new[] { ("small", "/small"), ("100KB", "/big") })
            {
                if (warmupSeconds > 0)
                {
                    progress($"{body}: warm-up {warmupSeconds}s each");
                    Wrk(loadSet, nginxPort, path, warmupSeconds);
                    Wrk(loadSet, strataPort, path, warmupSeconds);
                }

                progress($"{body}: nginx {seconds}s");
                var nginx = Wrk(loadSet, nginxPort, path, seconds, ProcessTree(processes[1]));
                progress($"{body}: strata {seconds}s");
                var strataResult = Wrk(loadSet, strataPort, path, seconds, ProcessTree(processes[2]));
                rows.Add(new IngressBenchRow(body, nginx, strataResult));
            }

            var changes = new List<ChangeResult>();
            progress("change under load: nginx (new nginx.conf, SIGHUP)");
            changes.Add(await ChangeUnderLoadAsync("nginx", loadSet, nginxPort, async () =>
            {
                await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), ReferenceConfig(dir, nginxPort, secondBackendPort, proxyCpus), cancellationToken);
                var (code, _, stderr) = Run("kill", ["-HUP", $"{processes[1].Id}"]);
                if (code != 0)
                {
                    throw new IOException($"kill -HUP nginx: {stderr}");
                }
            }, cancellationToken));
            progress("change under load: strata (new manifest, no reload)");
            changes.Add(await ChangeUnderLoadAsync("strata", loadSet, strataPort, async () =>
            {
                var next = Path.Combine(dir, "ingress.yaml.new");
                await File.WriteAllTextAsync(next, Manifest(secondBackendPort), cancellationToken);
                File.Move(next, Path.Combine(dir, "ingress.yaml"), overwrite: true);
            }, cancellationToken));

            return new IngressBenchReport(
                $"wrk -t1 -c{connections} -d{seconds}s after {warmupSeconds}s of warm-up, Host {Host}, one Ingress rule; proxies on CPUs {proxySet}, wrk and the backend nginx on {loadSet}",
                "Debian nginx " + NginxVersion() + " configured as ingress-nginx renders the Ingress (upstream keepalive 320)",
                rows,
                changes);
        }
        finally
        {
            foreach (var process in processes)
            {
                Stop(process);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    internal static string BackendConfig(string dir, int port, int secondPort) => $$"""
        daemon off;
        worker_processes 1;
        pid {{dir}}/backend.pid;
        error_log {{dir}}/backend-error.log;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path {{dir}}/body; proxy_temp_path {{dir}}/proxy; fastcgi_temp_path {{dir}}/fastcgi; uwsgi_temp_path {{dir}}/uwsgi; scgi_temp_path {{dir}}/scgi;
          keepalive_requests 100000;
          server {
            listen 127.0.0.1:{{port}};
            location = /small { default_type text/plain; return 200 "ok\n"; }
            location = /big { default_type application/octet-stream; root {{dir}}/www; }
          }
          server {
            listen 127.0.0.1:{{secondPort}};
            location = /small { default_type text/plain; return 200 "two\n"; }
          }
        }
        """;

    /// <summary>The parts of ingress-nginx's nginx.tmpl that touch this path, for one Ingress with one Prefix "/" rule.</summary>
    internal static string ReferenceConfig(string dir, int port, int backendPort, int workers) => $$"""
        daemon off;
        worker_processes {{workers}};
        pid {{dir}}/nginx.pid;
        error_log {{dir}}/nginx-error.log;
        events { worker_connections 16384; multi_accept on; use epoll; }
        http {
          access_log off;
          client_body_temp_path {{dir}}/body; proxy_temp_path {{dir}}/proxy; fastcgi_temp_path {{dir}}/fastcgi; uwsgi_temp_path {{dir}}/uwsgi; scgi_temp_path {{dir}}/scgi;
          keepalive_timeout 75s;
          keepalive_requests 1000;
          map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
          map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }
          upstream upstream_balancer {
            server 127.0.0.1:{{backendPort}};
            keepalive 320;
            keepalive_time 1h;
            keepalive_timeout 60s;
            keepalive_requests 10000;
          }
          server {
            listen 127.0.0.1:{{port}} default_server reuseport backlog=4096;
            server_name {{Host}};
            location / {
              client_max_body_size 1m;
              proxy_set_header Host $http_host;
              proxy_set_header Upgrade $http_upgrade;
              proxy_set_header Connection $connection_upgrade;
              proxy_set_header X-Request-ID $req_id;
              proxy_set_header X-Real-IP $remote_addr;
              proxy_set_header X-Forwarded-For $remote_addr;
              proxy_set_header X-Forwarded-Host $http_host;
              proxy_set_header X-Forwarded-Port $server_port;
              proxy_set_header X-Forwarded-Proto $scheme;
              proxy_set_header X-Scheme $scheme;
              proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;
              proxy_set_header Proxy "";
              proxy_connect_timeout 5s;
              proxy_send_timeout 60s;
              proxy_read_timeout 60s;
              proxy_buffering off;
              proxy_buffer_size 4k;
              proxy_buffers 4 4k;
              proxy_request_buffering on;
              proxy_http_version 1.1;
              proxy_next_upstream error timeout;
              proxy_next_upstream_tries 3;
              proxy_pass http://upstream_balancer;
              proxy_redirect off;
            }
          }
        }
        """;

    internal static string Manifest(int backendPort) => """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: bench}
        spec:
          rules:
          - host: HOST
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: backend, port: {number: 80}}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: backend}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: backend-1, labels: {kubernetes.io/service-name: backend}}
        addressType: IPv4
        ports: [{port: BACKEND_PORT}]
        endpoints: [{addresses: [127.0.0.1]}]
        """
        .Replace("HOST", Host, StringComparison.Ordinal)
        .Replace("BACKEND_PORT", backendPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>
    /// wrk on /small for 6 s; after 2 s <paramref name="change"/> points the rule at the second backend, and a probe
    /// polls until it answers "two". wrk's non-2xx and socket errors are the failed requests.
    /// </summary>
    private async Task<ChangeResult> ChangeUnderLoadAsync(string proxy, string cpus, int port, Func<Task> change, CancellationToken cancellationToken)
    {
        var load = Task.Run(() => Wrk(cpus, port, "/small", 6), cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        await change();
        double? effective = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/small");
            request.Headers.Host = Host;
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                if (await response.Content.ReadAsStringAsync(cancellationToken) == "two\n")
                {
                    effective = clock.Elapsed.TotalSeconds;
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(5, cancellationToken);
        }

        var result = await load;
        return new ChangeResult(proxy, effective ?? throw new TimeoutException($"{proxy}: the change did not take effect within 3.5 s"), result.Requests, result.Errors);
    }

    /// <summary>wrk's summary: "Requests/sec:", the --latency percentiles, and its error lines.</summary>
    internal static LoadResult ParseWrk(string output)
    {
        double Number(Regex regex)
        {
            var m = regex.Match(output);
            return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new FormatException($"wrk output without {regex}: {output}");
        }

        double Latency(string percentile)
        {
            var m = Regex.Match(output, $@"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!m.Success)
            {
                throw new FormatException($"wrk output without the {percentile}% latency: {output}");
            }

            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
        }

        long errors = 0;
        if (NonSuccess().Match(output) is { Success: true } non2xx)
        {
            errors += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        if (SocketErrors().Match(output) is { Success: true } socket)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return new LoadResult(Number(RequestsPerSecond()), Latency("50"), Latency("99"), (long)Number(Requests()), errors);
    }

    private LoadResult Wrk(string cpus, int port, string path, int duration, Func<IReadOnlyList<int>>? proxy = null)
    {
        var before = proxy is null ? TimeSpan.Zero : CpuTime(proxy());
        var (code, stdout, stderr) = Run("taskset", ["-c", cpus, "wrk", "-t1", $"-c{connections}", $"-d{duration}s", "--latency", "-H", $"Host: {Host}", $"http://127.0.0.1:{port}{path}"]);
        if (code != 0)
        {
            throw new IOException($"wrk failed ({code}): {stderr}{stdout}");
        }

        var result = ParseWrk(stdout);
        if (proxy is null || result.Requests == 0)
        {
            return result;
        }

        var used = CpuTime(proxy()) - before;
        return result with { CpuMicrosecondsPerRequest = used.TotalMicroseconds / result.Requests };
    }

    /// <summary>The proxy's processes: the one started (taskset exec's into it) and its children (nginx's workers).</summary>
    private static Func<IReadOnlyList<int>> ProcessTree(Process process) => () =>
    {
        var children = $"/proc/{process.Id}/task/{process.Id}/children";
        var text = File.Exists(children) ? File.ReadAllText(children) : "";
        return [process.Id, .. text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(id => int.Parse(id, CultureInfo.InvariantCulture))];
    };

    /// <summary>User + system time of the processes still running (a worker that exits takes its time with it).</summary>
    private static TimeSpan CpuTime(IReadOnlyList<int> pids)
    {
        var total = TimeSpan.Zero;
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                total += process.TotalProcessorTime;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
            }
        }

        return total;
    }

    private static string NginxVersion()
    {
        var (_, stdout, stderr) = Run("nginx", ["-v"]);
        return (stderr + stdout).Trim().Replace("nginx version: nginx/", "", StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new IOException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private static Process Start(string file, string[] args, Dictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new IOException($"cannot start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    private static async Task WaitReadyAsync(int port, List<Process> processes, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (processes.FirstOrDefault(p => p.HasExited) is { } dead)
            {
                throw new IOException($"{dead.StartInfo.FileName} {string.Join(' ', dead.StartInfo.ArgumentList)} exited with {dead.ExitCode}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/small");
                request.Headers.Host = Host;
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"nothing answered 200 on 127.0.0.1:{port} within 30 s");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
