using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Strata.Cni;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Lab;
using Strata.Netlink;

namespace Strata.Bench;

/// <summary>One startup run: create → Ready and create → scheduled, per pod, and the wall time until all were Ready.</summary>
public sealed record StartupRun(LatencySummary Ready, LatencySummary Scheduled, double WallSeconds);

/// <summary>What <c>strata bench pods</c> measured.</summary>
public sealed record PodsBenchmarkReport(int Nodes, int Pods, double Rate, double UpSeconds, StartupRun Burst, StartupRun Paced, LatencySummary Reference, double ReferenceWallSeconds)
{
    /// <summary>Upstream's SLO for stateless pod startup (p99 ≤ 5 s, kubernetes/community sig-scalability/slos/pod_startup_latency.md).</summary>
    public const double SloSeconds = 5.0;

    public const double UpGoalSeconds = 10.0;

    public const double StartupGoalSeconds = 1.0;

    /// <summary>Strata's create→Ready p50 (paced, as the SLO is measured) over the bare netns + CNI ADD p50 of the reference plugins.</summary>
    public double Ratio => Paced.Ready.P50 / Reference.P50;

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: pods");
        text.AppendLine($"workload:  strata up of {Nodes} nodes; then {Pods} pods (busybox, sleep) created at once (burst), then {Pods} more at {Rate:0.#} pods/s (paced, as upstream's load tests create them); create -> scheduled and create -> Ready seen through a watch");
        text.AppendLine($"reference: a bare `ip netns add` + CNI ADD (Debian's bridge + host-local + portmap from /usr/lib/cni, the lab's conflist) per pod, {Pods} one after another, in the same run");
        text.AppendLine();
        text.AppendLine($"{"measure",-34} {"p50",10} {"p99",10} {"wall",9}  goal");
        text.AppendLine($"{"strata up",-34} {"",10} {"",10} {UpSeconds,7:F2} s  < {UpGoalSeconds:F0} s");
        Row(text, "burst: create->scheduled", Burst.Scheduled, null, "");
        Row(text, "burst: create->Ready", Burst.Ready, Burst.WallSeconds, $"p99 < {StartupGoalSeconds * 1000:F0} ms (upstream SLO p99 <= {SloSeconds:F0} s)");
        Row(text, $"paced {Rate:0.#}/s: create->scheduled", Paced.Scheduled, null, "");
        Row(text, $"paced {Rate:0.#}/s: create->Ready", Paced.Ready, Paced.WallSeconds, $"p99 < {StartupGoalSeconds * 1000:F0} ms (upstream SLO p99 <= {SloSeconds:F0} s)");
        Row(text, "reference netns + CNI ADD", Reference, ReferenceWallSeconds, "");
        text.AppendLine();
        text.AppendLine($"ratio (strata paced create->Ready p50 / reference netns + CNI ADD p50): {Ratio:F2}");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string measure, LatencySummary latency, double? wallSeconds, string goal) =>
        text.AppendLine($"{measure,-34} {latency.P50,7:F0} ms {latency.P99,7:F0} ms {(wallSeconds is { } w ? $"{w,7:F2} s" : new string(' ', 9))}  {goal}".TrimEnd());

    public string ToJson() => new JsonObject
    {
        ["benchmark"] = "pods",
        ["nodes"] = Nodes,
        ["pods"] = Pods,
        ["rate_pods_per_second"] = Rate,
        ["up_seconds"] = Math.Round(UpSeconds, 3),
        ["burst"] = Json(Burst),
        ["paced"] = Json(Paced),
        ["reference_p50_ms"] = Math.Round(Reference.P50, 1),
        ["reference_p99_ms"] = Math.Round(Reference.P99, 1),
        ["reference_wall_seconds"] = Math.Round(ReferenceWallSeconds, 3),
        ["ratio"] = Math.Round(Ratio, 3),
        ["slo_p99_seconds"] = SloSeconds,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static JsonObject Json(StartupRun run) => new()
    {
        ["scheduled_p50_ms"] = Math.Round(run.Scheduled.P50, 1),
        ["scheduled_p99_ms"] = Math.Round(run.Scheduled.P99, 1),
        ["ready_p50_ms"] = Math.Round(run.Ready.P50, 1),
        ["ready_p99_ms"] = Math.Round(run.Ready.P99, 1),
        ["wall_seconds"] = Math.Round(run.WallSeconds, 3),
    };
}

/// <summary>
/// <c>strata bench pods</c>: the time of <c>strata up</c> for a lab of its own, then pod startup latency (create →
/// Ready) for pods created at once; beside it, in the same run, a bare network namespace plus a CNI ADD through the
/// reference plugins, which is the floor of what any runtime must do before a pod has a network.
/// </summary>
public sealed class PodsBenchmark(string strataPath, string strataPlugins, int nodes = 3, int pods = 100, double rate = 10)
{
    public async Task<PodsBenchmarkReport> RunAsync(Action<string>? progress = null, CancellationToken ct = default)
    {
        progress?.Invoke($"reference: ip netns add + CNI ADD for {pods} pods");
        var (reference, referenceWall) = MeasureReference();

        string id = Guid.NewGuid().ToString("N")[..6];
        var spec = LabSpecBuilder.Build(new LabFlags
        {
            Name = $"bench{id}",
            Nodes = nodes,
            ApiPort = FreePort(),
            StateDirectory = Path.Combine(Path.GetTempPath(), $"strata-bench-lab-{id}"),
        }, null);
        var options = new LabUpOptions { StrataPath = strataPath, CniBinDirectory = strataPlugins };
        var builder = new LabBuilder(spec, options);
        try
        {
            progress?.Invoke($"strata up ({nodes} nodes)");
            var up = Stopwatch.StartNew();
            var state = await builder.UpAsync(ct);
            double upSeconds = up.Elapsed.TotalSeconds;

            using var client = RemoteKubeClient.FromKubeconfig(LabPaths.Kubeconfig(state.StateDirectory));
            progress?.Invoke($"creating {pods} pods at once");
            var burst = await MeasureStartupAsync(client, "burst", null, ct);
            progress?.Invoke($"creating {pods} pods at {rate:0.#} pods/s");
            var paced = await MeasureStartupAsync(client, "paced", rate, ct);
            return new PodsBenchmarkReport(nodes, pods, rate, upSeconds, burst, paced, reference, referenceWall);
        }
        finally
        {
            progress?.Invoke("strata down");
            new LabTeardown().Down(spec.StateDirectory);
        }
    }

    /// <summary>
    /// Creates <c>pods</c> pods named <paramref name="prefix"/>-i, all at once (16 requests in flight) or, with a
    /// <paramref name="ratePerSecond"/>, one every 1/rate seconds as upstream's load tests do, and times each one's
    /// create → scheduled (first seen with a node) and create → Ready through a watch.
    /// </summary>
    private async Task<StartupRun> MeasureStartupAsync(IKubeClient client, string prefix, double? ratePerSecond, CancellationToken ct)
    {
        var created = new ConcurrentDictionary<string, long>();
        var scheduled = new ConcurrentDictionary<string, long>();
        var ready = new ConcurrentDictionary<string, long>();
        var informer = new Informer<V1Pod>(client, new ListRequest("default"));
        void Seen(V1Pod pod)
        {
            if (!pod.Metadata.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
            {
                scheduled.TryAdd(pod.Metadata.Name, now);
            }

            if (pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            {
                ready.TryAdd(pod.Metadata.Name, now);
            }
        }

        informer.AddHandler(Seen, (_, pod) => Seen(pod));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(ct);

        async Task CreateAsync(int i, CancellationToken token)
        {
            string name = $"{prefix}-{i}";
            created[name] = Stopwatch.GetTimestamp();
            await client.CreateAsync(new V1Pod
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox", Command = ["sleep", "3600"] }], TerminationGracePeriodSeconds = 1 },
            }, token);
        }

        var wall = Stopwatch.StartNew();
        if (ratePerSecond is { } rate)
        {
            for (int i = 0; i < pods; i++)
            {
                var due = TimeSpan.FromSeconds(i / rate) - wall.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, ct);
                }

                await CreateAsync(i, ct);
            }
        }
        else
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) => await CreateAsync(i, token));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (ready.Count < pods)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"only {ready.Count} of {pods} pods became Ready within 5 minutes");
            }

            await Task.Delay(20, ct);
        }

        double wallSeconds = wall.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        LatencySummary Since(ConcurrentDictionary<string, long> seen) =>
            LatencySummary.Of(created.Select(c => Stopwatch.GetElapsedTime(c.Value, seen.GetValueOrDefault(c.Key, ready[c.Key])).TotalMilliseconds).ToList());
        return new StartupRun(Since(ready), Since(scheduled), wallSeconds);
    }

    /// <summary>One scratch "node" netns; per pod, the real <c>ip netns add</c> and an ADD through Debian's plugins.</summary>
    private (LatencySummary, double) MeasureReference()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        string host = $"strata-bench-{id}";
        string scratch = Path.Combine(Path.GetTempPath(), host);
        var names = Enumerable.Range(0, pods).Select(i => $"{host}-{i}").ToList();
        var added = new List<string>();
        Directory.CreateDirectory(scratch);
        NetworkNamespace.Create(host).Dispose();
        try
        {
            var list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(CniConflist(scratch)), "bench", isList: true);
            var runtime = new CniRuntime(new PluginInvoker([CniBenchmark.ReferencePlugins], host), new ResultCache(Path.Combine(scratch, "cache")));
            var samples = new List<double>();
            var wall = Stopwatch.StartNew();
            foreach (string name in names)
            {
                var clock = Stopwatch.StartNew();
                Run("ip", "netns", "add", name);
                added.Add(name);
                runtime.Add(list, new RuntimeConf { ContainerId = name, NetNs = Path.Combine(NetworkNamespace.RunDirectory, name) });
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }

            double wallSeconds = wall.Elapsed.TotalSeconds;
            foreach (string name in added)
            {
                runtime.Delete(list, new RuntimeConf { ContainerId = name, NetNs = Path.Combine(NetworkNamespace.RunDirectory, name) });
            }

            return (LatencySummary.Of(samples), wallSeconds);
        }
        finally
        {
            foreach (string name in added.Prepend(host))
            {
                NetworkNamespace.Delete(name);
            }

            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The lab's per-node conflist, with host-local's files kept in the scratch directory.</summary>
    private static string CniConflist(string scratch)
    {
        var list = JsonNode.Parse(Strata.Lab.CniConflist.Render("10.233.64.0/24"))!;
        list["plugins"]![0]!["ipam"]!["dataDir"] = Path.Combine(scratch, "networks");
        return list.ToJsonString();
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error.Trim()}");
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
