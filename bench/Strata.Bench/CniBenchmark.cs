using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni;
using Strata.Netlink;

namespace Strata.Bench;

/// <summary>Latencies of one operation, in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P99)
{
    public static LatencySummary Of(IReadOnlyCollection<double> samples)
    {
        var sorted = samples.Order().ToArray();
        return new LatencySummary(Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

/// <summary>One plugin set through one mode (sequential or concurrent): ADD and DEL latencies, and what leaked.</summary>
public sealed record CniRun(string Plugins, string Mode, LatencySummary Add, LatencySummary Del, double WallSeconds, IReadOnlyList<string> Leaks);

public sealed record CniBenchmarkReport(int Containers, int Parallelism, IReadOnlyList<CniRun> Runs)
{
    /// <summary>Strata's p50 of ADD+DEL over the reference's, sequential, same conflist.</summary>
    public double Ratio => Sum("strata", "sequential") / Sum("reference", "sequential");

    public double ConcurrentRatio => Sum("strata", "concurrent") / Sum("reference", "concurrent");

    private double Sum(string plugins, string mode) => Runs.Where(r => r.Plugins == plugins && r.Mode == mode).Select(r => r.Add.P50 + r.Del.P50).Single();

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine("benchmark: cni");
        text.AppendLine($"workload:  {Containers} containers ADD then DEL through bridge + host-local + portmap (flannel's delegate, expanded), sequential (sides interleaved per container) and {Parallelism}-way concurrent");
        text.AppendLine("reference: Debian containernetworking-plugins (/usr/lib/cni), driven by the same Strata runtime");
        text.AppendLine();
        text.AppendLine($"{"plugins",-16} {"mode",-11} {"ADD p50",9} {"ADD p99",9} {"DEL p50",9} {"DEL p99",9} {"wall",8}  leaks");
        foreach (var run in Runs)
        {
            text.AppendLine($"{run.Plugins,-16} {run.Mode,-11} {run.Add.P50,6:F1} ms {run.Add.P99,6:F1} ms {run.Del.P50,6:F1} ms {run.Del.P99,6:F1} ms {run.WallSeconds,6:F2} s  {(run.Leaks.Count == 0 ? "none" : string.Join("; ", run.Leaks))}");
        }

        text.AppendLine();
        text.AppendLine($"ratio (strata / reference, p50 of ADD+DEL, sequential): {Ratio:F3}");
        text.AppendLine($"ratio (strata / reference, p50 of ADD+DEL, concurrent): {ConcurrentRatio:F3}");
        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", "cni");
            json.WriteNumber("containers", Containers);
            json.WriteNumber("parallelism", Parallelism);
            json.WriteNumber("ratio", Math.Round(Ratio, 4));
            json.WriteNumber("concurrent_ratio", Math.Round(ConcurrentRatio, 4));
            json.WriteStartArray("runs");
            foreach (var run in Runs)
            {
                json.WriteStartObject();
                json.WriteString("plugins", run.Plugins);
                json.WriteString("mode", run.Mode);
                json.WriteNumber("add_p50_ms", Math.Round(run.Add.P50, 3));
                json.WriteNumber("add_p99_ms", Math.Round(run.Add.P99, 3));
                json.WriteNumber("del_p50_ms", Math.Round(run.Del.P50, 3));
                json.WriteNumber("del_p99_ms", Math.Round(run.Del.P99, 3));
                json.WriteNumber("wall_seconds", Math.Round(run.WallSeconds, 3));
                json.WriteStartArray("leaks");
                foreach (string leak in run.Leaks)
                {
                    json.WriteStringValue(leak);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }
}

/// <summary>
/// <c>strata bench cni</c>: container churn through the CNI chain, with Debian's reference
/// plugins and with Strata's, in the same run. Debian ships no flannel plugin, so both sides run
/// the configuration flannel's meta-plugin would hand to its delegate (bridge + host-local) plus
/// portmap; Strata's flannel meta-plugin is measured as an extra row. Every container is a real
/// network namespace inside a scratch host namespace; afterwards the run counts what leaked.
/// </summary>
public sealed class CniBenchmark
{
    public CniBenchmark(string strataPlugins, int containers = 200, int parallelism = 20)
    {
        if (containers is < 1 or > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(containers), containers, "containers must be 1-2000");
        }

        if (parallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parallelism), parallelism, "parallelism must be at least 1");
        }

        if (!File.Exists(Path.Combine(strataPlugins, "strata-cni")))
        {
            throw new FileNotFoundException($"{strataPlugins}/strata-cni is missing: run 'make build' first");
        }

        StrataPlugins = strataPlugins;
        Containers = containers;
        Parallelism = parallelism;
    }

    public const string ReferencePlugins = "/usr/lib/cni";

    public string StrataPlugins { get; }

    public int Containers { get; }

    public int Parallelism { get; }

    public CniBenchmarkReport Run(IProgress<string>? progress = null)
    {
        var sides = new[] { ("reference", ReferencePlugins, false), ("strata", StrataPlugins, false), ("strata+flannel", StrataPlugins, true) };
        var runs = new List<CniRun>();
        foreach (string mode in new[] { "sequential", "concurrent" })
        {
            var scenes = new List<Scene>();
            try
            {
                foreach (var (label, plugins, flannel) in sides)
                {
                    progress?.Report($"{mode}: creating {Containers} container namespaces for {label}");
                    scenes.Add(Scene.Create(label, plugins, flannel, Containers));
                }

                progress?.Report($"{mode}: churning {Containers} containers through {sides.Length} plugin sets");
                runs.AddRange(mode == "sequential" ? Interleaved(scenes) : scenes.Select(Concurrent).ToList());
            }
            finally
            {
                scenes.ForEach(scene => scene.Dispose());
            }
        }

        return new CniBenchmarkReport(Containers, Parallelism, runs);
    }

    /// <summary>
    /// One container at a time, the plugin sets taking turns on each container, so that drift on a
    /// shared machine (and the slowly growing rule sets) weigh on every side alike.
    /// </summary>
    private List<CniRun> Interleaved(List<Scene> scenes)
    {
        var add = scenes.Select(_ => new double[Containers]).ToArray();
        var del = scenes.Select(_ => new double[Containers]).ToArray();
        var wall = new double[scenes.Count];
        for (int i = 0; i < Containers; i++)
        {
            for (int s = 0; s < scenes.Count; s++)
            {
                int side = (s + i) % scenes.Count;
                add[side][i] = Time(() => scenes[side].Add(i));
                wall[side] += add[side][i] / 1000;
            }
        }

        for (int i = 0; i < Containers; i++)
        {
            for (int s = 0; s < scenes.Count; s++)
            {
                int side = (s + i) % scenes.Count;
                del[side][i] = Time(() => scenes[side].Delete(i));
                wall[side] += del[side][i] / 1000;
            }
        }

        return scenes.Select((scene, s) => new CniRun(scene.Label, "sequential", LatencySummary.Of(add[s]), LatencySummary.Of(del[s]), wall[s], scene.Leaks())).ToList();
    }

    private CniRun Concurrent(Scene scene)
    {
        var add = new double[Containers];
        var del = new double[Containers];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism };
        var wall = Stopwatch.StartNew();

        // The first container is added alone, as a node's first pod is: it creates the chains every later ADD shares
        // (CNI-HOSTPORT-SETMARK, ...). Debian's portmap checks for a chain and then creates it in two iptables calls,
        // so ADDs racing on an empty host fail with "File exists"; a real node has those chains long before it is busy.
        add[0] = Time(() => scene.Add(0));
        Parallel.For(1, Containers, options, i => add[i] = Time(() => scene.Add(i)));
        Parallel.For(0, Containers, options, i => del[i] = Time(() => scene.Delete(i)));
        return new CniRun(scene.Label, "concurrent", LatencySummary.Of(add), LatencySummary.Of(del), wall.Elapsed.TotalSeconds, scene.Leaks());
    }

    /// <summary>One plugin set's world: a host namespace, the container namespaces, the runtime and its files.</summary>
    private sealed class Scene : IDisposable
    {
        private readonly List<string> _created = [];
        private readonly string _scratch;
        private readonly string _host;
        private readonly List<string> _containers;
        private CniRuntime? _runtime;
        private NetworkConfigList? _list;

        private Scene(string label, int containers)
        {
            Label = label;
            string id = Guid.NewGuid().ToString("N")[..8];
            _scratch = Path.Combine(Path.GetTempPath(), $"strata-bench-{id}");
            _host = $"strata-bench-{id}";
            _containers = Enumerable.Range(0, containers).Select(i => $"strata-bench-{id}-{i}").ToList();
        }

        public string Label { get; }

        public static Scene Create(string label, string plugins, bool flannel, int containers)
        {
            var scene = new Scene(label, containers);
            try
            {
                Directory.CreateDirectory(scene._scratch);
                foreach (string name in scene._containers.Prepend(scene._host))
                {
                    NetworkNamespace.Create(name).Dispose();
                    scene._created.Add(name);
                }

                scene._list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(Conflist(scene._scratch, flannel)), "bench", isList: true);
                scene._runtime = new CniRuntime(new PluginInvoker([plugins], scene._host), new ResultCache(Path.Combine(scene._scratch, "cache")));
                return scene;
            }
            catch
            {
                scene.Dispose();
                throw;
            }
        }

        public void Add(int i) => _runtime!.Add(_list!, Conf(_containers[i], i));

        public void Delete(int i) => _runtime!.Delete(_list!, Conf(_containers[i], i));

        public List<string> Leaks() => CniBenchmark.Leaks(_host, _containers, _scratch);

        public void Dispose()
        {
            foreach (string name in _created)
            {
                NetworkNamespace.Delete(name);
            }

            if (Directory.Exists(_scratch))
            {
                Directory.Delete(_scratch, recursive: true);
            }
        }
    }

    private static RuntimeConf Conf(string container, int index) => new()
    {
        ContainerId = container,
        NetNs = Path.Combine(NetworkNamespace.RunDirectory, container),
        CapabilityArgs = new Dictionary<string, JsonNode>
        {
            ["portMappings"] = new JsonArray((JsonNode)new JsonObject { ["hostPort"] = 20000 + index, ["containerPort"] = 80, ["protocol"] = "tcp" }),
        },
    };

    /// <summary>The delegate flannel builds from subnet.env (see FlannelDelegate), written out; or flannel itself.</summary>
    private static string Conflist(string scratch, bool flannel)
    {
        if (flannel)
        {
            File.WriteAllText(Path.Combine(scratch, "subnet.env"), "FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/22\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
            return $$"""
                {"cniVersion":"0.3.1","name":"cbr0","plugins":[
                  {"type":"flannel","subnetFile":"{{scratch}}/subnet.env","dataDir":"{{scratch}}/flannel","ipam":{"dataDir":"{{scratch}}/networks"},"delegate":{"hairpinMode":true,"isDefaultGateway":true} },
                  {"type":"portmap","capabilities":{"portMappings":true} }
                ]}
                """;
        }

        return $$"""
            {"cniVersion":"0.3.1","name":"cbr0","plugins":[
              {"type":"bridge","bridge":"cni0","hairpinMode":true,"isDefaultGateway":true,"isGateway":true,"ipMasq":false,"mtu":1450,
               "ipam":{"type":"host-local","dataDir":"{{scratch}}/networks","ranges":[[{"subnet":"10.233.64.0/22"}]],"routes":[{"dst":"10.233.64.0/18"}]} },
              {"type":"portmap","capabilities":{"portMappings":true} }
            ]}
            """;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Anything the churn left behind: veths, container interfaces, IPAM reservations, DNAT chains, cache entries.</summary>
    private static List<string> Leaks(string hostName, IEnumerable<string> containers, string scratch)
    {
        var leaks = new List<string>();
        using (var host = NetworkNamespace.Open(hostName))
        using (var nl = Rtnetlink.Open(host))
        {
            int veths = nl.GetLinks().Count(l => l.Kind == "veth");
            if (veths > 0)
            {
                leaks.Add($"{veths} veths");
            }
        }

        int interfaces = containers.Count(name =>
        {
            using var ns = NetworkNamespace.Open(name);
            using var nl = Rtnetlink.Open(ns);
            return nl.FindLink("eth0") is not null;
        });
        if (interfaces > 0)
        {
            leaks.Add($"{interfaces} container interfaces");
        }

        string ipam = Path.Combine(scratch, "networks", "cbr0");
        int reservations = Directory.Exists(ipam) ? Directory.EnumerateFiles(ipam).Count(f => System.Net.IPAddress.TryParse(Path.GetFileName(f), out _)) : 0;
        if (reservations > 0)
        {
            leaks.Add($"{reservations} IPs");
        }

        var save = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", hostName, "iptables-save", "-t", "nat"]) { RedirectStandardOutput = true })!;
        int chains = save.StandardOutput.ReadToEnd().Split('\n').Count(l => l.StartsWith(":CNI-DN-", StringComparison.Ordinal));
        save.WaitForExit();
        if (chains > 0)
        {
            leaks.Add($"{chains} DNAT chains");
        }

        string cache = Path.Combine(scratch, "cache", "results");
        int cached = Directory.Exists(cache) ? Directory.EnumerateFiles(cache).Count() : 0;
        if (cached > 0)
        {
            leaks.Add($"{cached} cache entries");
        }

        return leaks;
    }
}
