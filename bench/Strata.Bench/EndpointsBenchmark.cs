using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Strata.ApiServer;
using Strata.ApiServer.Hosting;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Bench;

/// <summary>
/// <c>strata bench endpoints</c>: the endpointslice controller hosted by the API server (SQLite), with Services each
/// selecting pods. Flips the readiness of one pod per Service and measures, per pod, the time from its status write
/// to an EndpointSlice showing the change (seen through a watch); then stops the server, flips them back while no
/// controller runs, starts it again and measures the time until every slice shows them ready again.
/// No reference side: there is no kube-controller-manager binary on this machine; the figures are set against the
/// issue's goal of a 1 s p99.
/// </summary>
public sealed class EndpointsBenchmark(int services, int podsPerService, int clients = 16)
{
    public const double GoalSeconds = 1.0;

    public async Task<EndpointsBenchmarkReport> RunAsync(Action<string>? progress = null, CancellationToken ct = default)
    {
        var directory = Directory.CreateTempSubdirectory("strata-bench-endpoints-").FullName;
        try
        {
            var options = new ApiServerOptions { DataDirectory = directory, Listen = ["127.0.0.1:0"], Controllers = ["endpointslice"] };
            double[] latencies;
            string[] flipped;
            await using (var host = await ApiServerHost.StartAsync(options, cancellationToken: ct))
            {
                IKubeClient client = new RegistryKubeClient(host.Registry);
                progress?.Invoke($"creating {services} Services and {services * podsPerService} pods");
                await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "bench" } }, ct);
                await client.CreateAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "bench-node" } }, ct);
                await ForAllAsync(Enumerable.Range(0, services), i => client.CreateAsync(Service(i), ct), ct);
                await ForAllAsync(Enumerable.Range(0, services * podsPerService), async n =>
                {
                    var pod = await client.CreateAsync(Pod(n / podsPerService, n % podsPerService), ct);
                    await SetReadyAsync(client, pod, n, true, ct);
                }, ct);

                await using var watch = await SliceWatch.StartAsync(client, ct);
                progress?.Invoke("waiting for every pod to be a ready endpoint");
                await watch.WaitAsync(() => watch.ReadyCount == services * podsPerService, TimeSpan.FromMinutes(5), ct);

                progress?.Invoke($"flipping {services} pods to not ready");
                flipped = [.. Enumerable.Range(0, services).Select(i => PodName(i, 0))];
                var sent = new ConcurrentDictionary<string, long>();
                await ForAllAsync(Enumerable.Range(0, services), async i =>
                {
                    var pod = (await client.GetAsync<V1Pod>("bench", PodName(i, 0), ct))!;
                    var name = pod.Metadata.Name;
                    watch.Expect(name, false);
                    sent[name] = Stopwatch.GetTimestamp();
                    await SetReadyAsync(client, pod, i * podsPerService, false, ct);
                }, ct);
                await watch.WaitAsync(() => flipped.All(p => watch.SeenAt(p) is not null), TimeSpan.FromMinutes(5), ct);
                latencies = [.. flipped.Select(p => Stopwatch.GetElapsedTime(sent[p], watch.SeenAt(p)!.Value).TotalSeconds).Order()];
            }

            progress?.Invoke("restarting the API server with the pods flipped back while no controller ran");
            await using (var quiet = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = directory, Listen = ["127.0.0.1:0"] }, cancellationToken: ct))
            {
                IKubeClient client = new RegistryKubeClient(quiet.Registry);
                await ForAllAsync(Enumerable.Range(0, services), async i =>
                {
                    var pod = (await client.GetAsync<V1Pod>("bench", PodName(i, 0), ct))!;
                    await SetReadyAsync(client, pod, i * podsPerService, true, ct);
                }, ct);
            }

            var start = Stopwatch.StartNew();
            double converge;
            await using (var host = await ApiServerHost.StartAsync(options, cancellationToken: ct))
            {
                await using var watch = await SliceWatch.StartAsync(new RegistryKubeClient(host.Registry), ct);
                await watch.WaitAsync(() => watch.ReadyCount == services * podsPerService, TimeSpan.FromMinutes(5), ct);
                converge = start.Elapsed.TotalSeconds;
            }

            return new EndpointsBenchmarkReport(services, podsPerService, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1], converge);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task ForAllAsync(IEnumerable<int> items, Func<int, Task> action, CancellationToken ct) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = ct }, async (i, _) => await action(i));

    private static string PodName(int service, int pod) => $"svc-{service}-pod-{pod}";

    private static V1Service Service(int i) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = $"svc-{i}", NamespaceProperty = "bench" },
        Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = $"svc-{i}" }, Ports = [new V1ServicePort { Port = 80, Protocol = "TCP" }] },
    };

    private static V1Pod Pod(int service, int pod) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = PodName(service, pod), NamespaceProperty = "bench", Labels = new Dictionary<string, string> { ["app"] = $"svc-{service}" } },
        Spec = new V1PodSpec { NodeName = "bench-node", Containers = [new V1Container { Name = "app", Image = "nginx" }] },
    };

    private static async Task SetReadyAsync(IKubeClient client, V1Pod pod, int index, bool ready, CancellationToken ct)
    {
        var ip = $"10.{64 + index / 65536}.{index / 256 % 256}.{index % 256}";
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = ip,
            PodIPs = [new V1PodIP { Ip = ip }],
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = DateTime.UtcNow }],
        };
        await client.UpdateStatusAsync(pod, ct);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Follows every EndpointSlice: which pods are ready endpoints, and when an expected change was seen.</summary>
    private sealed class SliceWatch : IAsyncDisposable
    {
        private readonly Informer<V1EndpointSlice> _informer;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<string, bool> _ready = new();
        private readonly ConcurrentDictionary<string, bool> _expected = new();
        private readonly ConcurrentDictionary<string, long> _seen = new();
        private Task _run = Task.CompletedTask;

        private SliceWatch(IKubeClient client)
        {
            _informer = new Informer<V1EndpointSlice>(client);
            _informer.AddHandler(Observe, (_, s) => Observe(s));
        }

        public int ReadyCount => _ready.Count(kv => kv.Value);

        public static async Task<SliceWatch> StartAsync(IKubeClient client, CancellationToken ct)
        {
            var watch = new SliceWatch(client);
            watch._run = Task.Run(() => watch._informer.RunAsync(watch._stop.Token), CancellationToken.None);
            await watch._informer.WaitForSyncAsync(ct);
            return watch;
        }

        public void Expect(string pod, bool ready) => _expected[pod] = ready;

        public long? SeenAt(string pod) => _seen.TryGetValue(pod, out var t) ? t : null;

        public async Task WaitAsync(Func<bool> done, TimeSpan timeout, CancellationToken ct)
        {
            var deadline = Stopwatch.StartNew();
            while (!done())
            {
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException("the EndpointSlices did not converge in time");
                }

                await Task.Delay(10, ct);
            }
        }

        private void Observe(V1EndpointSlice slice)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.TargetRef?.Name is not { } pod)
                {
                    continue;
                }

                var ready = endpoint.Conditions?.Ready == true;
                _ready[pod] = ready;
                if (_expected.TryGetValue(pod, out var want) && want == ready)
                {
                    _seen.TryAdd(pod, now);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            _stop.Dispose();
        }
    }
}

public sealed record EndpointsBenchmarkReport(int Services, int PodsPerService, double P50Seconds, double P99Seconds, double MaxSeconds, double ConvergeSeconds)
{
    public const string Reference = "not available: no kube-controller-manager binary on this machine";

    public double GoalRatio => P99Seconds / EndpointsBenchmark.GoalSeconds;

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: endpoints");
        text.AppendLine($"workload:  {Services} Services x {PodsPerService} pods; readiness of {Services} pods flipped; API server restarted");
        text.AppendLine($"reference: {Reference}");
        text.AppendLine();
        text.AppendLine($"{"measure",-40} {"strata",12}");
        text.AppendLine($"{"readiness -> EndpointSlice p50",-40} {P50Seconds * 1000,9:F1} ms");
        text.AppendLine($"{"readiness -> EndpointSlice p99",-40} {P99Seconds * 1000,9:F1} ms");
        text.AppendLine($"{"readiness -> EndpointSlice max",-40} {MaxSeconds * 1000,9:F1} ms");
        text.AppendLine($"{"converge after API server restart",-40} {ConvergeSeconds * 1000,9:F1} ms");
        text.AppendLine();
        text.AppendLine($"ratio (strata p99 / 1 s goal): {GoalRatio:F3}");
        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", "endpoints");
            json.WriteNumber("services", Services);
            json.WriteNumber("pods_per_service", PodsPerService);
            json.WriteString("reference", Reference);
            json.WriteNumber("p50_seconds", Math.Round(P50Seconds, 6));
            json.WriteNumber("p99_seconds", Math.Round(P99Seconds, 6));
            json.WriteNumber("max_seconds", Math.Round(MaxSeconds, 6));
            json.WriteNumber("converge_after_restart_seconds", Math.Round(ConvergeSeconds, 6));
            json.WriteNumber("goal_p99_seconds", EndpointsBenchmark.GoalSeconds);
            json.WriteNumber("ratio", Math.Round(GoalRatio, 4));
        });
    }
}
