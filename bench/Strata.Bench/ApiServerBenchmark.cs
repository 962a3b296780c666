using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer;
using Strata.ApiServer.Hosting;

namespace Strata.Bench;

/// <summary>
/// <c>strata bench apiserver</c>: the API server under the issue's load, once per storage backend, in the same run:
/// create Services and EndpointSlices through HTTPS with a number of concurrent clients while watchers follow the
/// EndpointSlices, then list both. Reports ops/s, p50/p99 latency of the creates, the list times, and the p99 from a
/// create being sent to its event reaching every watcher.
/// </summary>
public sealed class ApiServerBenchmark(int objects, int watchers, int clients, IReadOnlyList<ApiServerBenchmark.Backend> backends)
{
    /// <summary>A storage backend to measure: its name, and how to set it up for a server (what it returns is disposed after the run).</summary>
    public sealed record Backend(string Name, Func<ApiServerOptions, Task<IAsyncDisposable?>> Prepare);

    public async Task<ApiServerBenchmarkReport> RunAsync(Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new List<BackendResult>();
        foreach (var backend in backends)
        {
            progress?.Invoke($"{backend.Name}: {objects} Services, {objects} EndpointSlices, {watchers} watchers");
            results.Add(await RunOneAsync(backend, cancellationToken));
        }

        return new ApiServerBenchmarkReport(objects, watchers, clients, results);
    }

    private async Task<BackendResult> RunOneAsync(Backend backend, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("strata-bench-apiserver-").FullName;
        try
        {
            var options = new ApiServerOptions { DataDirectory = directory, Listen = ["127.0.0.1:0"] };
            await using var backendResources = await backend.Prepare(options);
            await using var host = await ApiServerHost.StartAsync(options, cancellationToken: ct);
            using var http = Client(host);
            await PostAsync(http, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bench" } }, ct);
            var rv = (string)JsonNode.Parse(await http.GetStringAsync("/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices", ct))!["metadata"]!["resourceVersion"]!;

            var sent = new long[objects];
            var delivered = new long[objects * watchers];
            using var stopWatchers = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watcherTasks = Enumerable.Range(0, watchers).Select(w => WatchAsync(host, rv, w, delivered, stopWatchers.Token)).ToList();

            var total = Stopwatch.StartNew();
            var services = await CreateAllAsync(http, "/api/v1/namespaces/bench/services", Service, null, ct);
            var slices = await CreateAllAsync(http, "/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices", Slice, sent, ct);
            var listServices = await TimeAsync(() => http.GetStringAsync("/api/v1/namespaces/bench/services", ct));
            var listSlices = await TimeAsync(() => http.GetStringAsync("/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices", ct));

            // Every watcher must see every slice; wait for the stragglers, then stop.
            var deadline = Stopwatch.StartNew();
            while (delivered.Any(d => d == 0) && deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(50, ct);
            }

            total.Stop();
            await stopWatchers.CancelAsync();
            await Task.WhenAll(watcherTasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            var missing = delivered.Count(d => d == 0);
            var delivery = new List<double>(delivered.Length);
            for (var i = 0; i < delivered.Length; i++)
            {
                if (delivered[i] != 0)
                {
                    delivery.Add(Stopwatch.GetElapsedTime(sent[i % objects], delivered[i]).TotalMilliseconds);
                }
            }

            return new BackendResult(backend.Name, services, slices, listServices, listSlices, Percentile(delivery, 0.99), missing, total.Elapsed.TotalSeconds);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<CreatePhase> CreateAllAsync(HttpClient http, string path, Func<int, JsonObject> make, long[]? sent, CancellationToken ct)
    {
        var latencies = new double[objects];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < objects)
            {
                var body = make(i);
                var start = Stopwatch.GetTimestamp();
                if (sent is not null)
                {
                    sent[i] = start;
                }

                await PostAsync(http, path, body, ct);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }, ct)));
        clock.Stop();
        return new CreatePhase(objects / clock.Elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), clock.Elapsed.TotalSeconds);
    }

    private async Task WatchAsync(ApiServerHost host, string rv, int watcher, long[] delivered, CancellationToken ct)
    {
        using var http = Client(host);
        http.Timeout = Timeout.InfiniteTimeSpan;
        using var stream = await http.GetStreamAsync($"/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices?watch=true&resourceVersion={rv}", ct);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            var now = Stopwatch.GetTimestamp();
            using var document = JsonDocument.Parse(line);
            var name = document.RootElement.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString()!;
            var index = int.Parse(name.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture);
            delivered[(watcher * objects) + index] = now;
        }
    }

    private static JsonObject Service(int i) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = $"svc-{i:D6}", ["labels"] = new JsonObject { ["app"] = $"app-{i % 100}" } },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = $"app-{i % 100}" },
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = 8080 }),
        },
    };

    private static JsonObject Slice(int i) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject
        {
            ["name"] = $"slice-{i:D6}",
            ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = $"svc-{i:D6}" },
        },
        ["addressType"] = "IPv4",
        ["endpoints"] = new JsonArray(Enumerable.Range(0, 3).Select(e => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray($"10.233.{64 + (i % 64)}.{(e * 50) + (i % 50) + 2}"),
            ["conditions"] = new JsonObject { ["ready"] = true },
        }).ToArray()),
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" }),
    };

    private static async Task PostAsync(HttpClient http, string path, JsonObject body, CancellationToken ct)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static HttpClient Client(ApiServerHost host) => AdminHttpClient.Create(host);
}

public sealed record CreatePhase(double OpsPerSecond, double P50Ms, double P99Ms, double Seconds);

public sealed record BackendResult(string Backend, CreatePhase Services, CreatePhase Slices, double ListServicesSeconds, double ListSlicesSeconds, double WatchDeliveryP99Ms, int MissingEvents, double TotalSeconds);

/// <summary>The apiserver benchmark's result; with two backends, <see cref="Ratio"/> is the first's total time over the second's.</summary>
public sealed record ApiServerBenchmarkReport(int Objects, int Watchers, int Clients, IReadOnlyList<BackendResult> Backends)
{
    public double? Ratio => Backends.Count >= 2 ? Backends[0].TotalSeconds / Backends[1].TotalSeconds : null;

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: apiserver");
        text.AppendLine($"workload:  create {Objects} Services and {Objects} EndpointSlices over HTTPS ({Clients} concurrent clients), {Watchers} watchers on the slices, list both");
        text.AppendLine();
        text.AppendLine($"{"backend",-8} {"svc ops/s",10} {"svc p50",9} {"svc p99",9} {"eps ops/s",10} {"eps p50",9} {"eps p99",9} {"list svc",9} {"list eps",9} {"watch p99",10} {"total",8}");
        foreach (var r in Backends)
        {
            text.AppendLine($"{r.Backend,-8} {r.Services.OpsPerSecond,10:F0} {r.Services.P50Ms,6:F1} ms {r.Services.P99Ms,6:F1} ms {r.Slices.OpsPerSecond,10:F0} {r.Slices.P50Ms,6:F1} ms {r.Slices.P99Ms,6:F1} ms {r.ListServicesSeconds * 1000,6:F0} ms {r.ListSlicesSeconds * 1000,6:F0} ms {r.WatchDeliveryP99Ms,7:F1} ms {r.TotalSeconds,6:F1} s");
            if (r.MissingEvents > 0)
            {
                text.AppendLine($"  {r.Backend}: {r.MissingEvents} watch events never arrived");
            }
        }

        if (Ratio is { } ratio)
        {
            text.AppendLine();
            text.AppendLine($"ratio ({Backends[0].Backend} / {Backends[1].Backend}, total time): {ratio:F3}");
        }

        return text.ToString();
    }

    public string ToJson()
    {
        var backends = new JsonArray(Backends.Select(r => (JsonNode)new JsonObject
        {
            ["backend"] = r.Backend,
            ["services"] = Phase(r.Services),
            ["endpointslices"] = Phase(r.Slices),
            ["list_services_seconds"] = Math.Round(r.ListServicesSeconds, 6),
            ["list_endpointslices_seconds"] = Math.Round(r.ListSlicesSeconds, 6),
            ["watch_delivery_p99_ms"] = Math.Round(r.WatchDeliveryP99Ms, 3),
            ["missing_watch_events"] = r.MissingEvents,
            ["total_seconds"] = Math.Round(r.TotalSeconds, 6),
        }).ToArray());
        var json = new JsonObject
        {
            ["benchmark"] = "apiserver",
            ["objects"] = Objects,
            ["watchers"] = Watchers,
            ["clients"] = Clients,
            ["backends"] = backends,
            ["ratio"] = Ratio is { } ratio ? Math.Round(ratio, 4) : null,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Phase(CreatePhase p) => new()
    {
        ["ops_per_second"] = Math.Round(p.OpsPerSecond, 1),
        ["p50_ms"] = Math.Round(p.P50Ms, 3),
        ["p99_ms"] = Math.Round(p.P99Ms, 3),
        ["seconds"] = Math.Round(p.Seconds, 6),
    };
}
