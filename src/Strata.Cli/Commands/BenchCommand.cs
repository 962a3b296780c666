using System.CommandLine;
using Strata.Bench;

namespace Strata.Cli.Commands;

/// <summary><c>strata bench NAME</c>: macro benchmarks, each measuring the reference tool and Strata side by side.</summary>
internal static class BenchCommand
{
    public static Command Build()
    {
        var command = new Command("bench", "Run a benchmark against its reference tool, side by side, and print the ratio.");
        var json = new Option<bool>("--json") { Description = "Print one JSON object (with a field 'ratio' = strata / reference) instead of the table." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Also write the JSON object to this file." };
        var pairs = new Option<int>("--pairs") { Description = "veth pairs per run.", DefaultValueFactory = _ => 1000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per side; each phase reports the median.", DefaultValueFactory = _ => 3 };
        var netlink = new Command("netlink", "Create 1,000 veth pairs with an address and a route each, then delete them: Strata's library vs 'ip -batch'.")
        {
            json, output, pairs, rounds,
        };
        netlink.SetAction(result => CommandErrors.Run(() =>
        {
            RequireRoot("bench netlink");
            var benchmark = new NetlinkBenchmark(result.GetValue(pairs), result.GetValue(rounds));
            var report = Progress.Run("bench netlink", benchmark.Run);
            Write(report, result.GetValue(json), result.GetValue(output));
            return 0;
        }));
        command.Subcommands.Add(netlink);

        var containers = new Option<int>("--containers") { Description = "Containers per run.", DefaultValueFactory = _ => 200 };
        var parallelism = new Option<int>("--parallelism") { Description = "Concurrent operations in the concurrent runs.", DefaultValueFactory = _ => 20 };
        var pluginDir = new Option<string>("--plugins") { Description = "Strata's plugin directory.", DefaultValueFactory = _ => DefaultPluginDirectory() };
        var cni = new Command("cni", "Container churn through bridge + host-local + portmap: Strata's plugins vs Debian's reference plugins.")
        {
            json, output, containers, parallelism, pluginDir,
        };
        cni.SetAction(result => CommandErrors.Run(() =>
        {
            RequireRoot("bench cni");
            var benchmark = new CniBenchmark(result.GetValue(pluginDir)!, result.GetValue(containers), result.GetValue(parallelism));
            var report = Progress.Run("bench cni", benchmark.Run);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        }));
        command.Subcommands.Add(cni);
        command.Subcommands.Add(BuildApiServer(json, output));
        command.Subcommands.Add(BuildEndpoints(json, output));
        command.Subcommands.Add(BuildPods(json, output));
        command.Subcommands.Add(BuildDns(json, output));
        command.Subcommands.Add(BuildProxy(json, output));
        command.Subcommands.Add(BuildIngress(json, output));
        command.Subcommands.Add(BuildBackends(json, output));
        return command;
    }

    private static Command BuildApiServer(Option<bool> json, Option<FileInfo?> output)
    {
        var objects = new Option<int>("--objects") { Description = "Services, and as many EndpointSlices, to create.", DefaultValueFactory = _ => 10_000 };
        var watchers = new Option<int>("--watchers") { Description = "Watchers following the EndpointSlices.", DefaultValueFactory = _ => 100 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients creating objects.", DefaultValueFactory = _ => 16 };
        var command = new Command("apiserver", "Create, list and watch Services and EndpointSlices through the API server, once per storage backend.")
        {
            json, output, objects, watchers, clients,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var benchmark = new ApiServerBenchmark(result.GetValue(objects), result.GetValue(watchers), result.GetValue(clients), ApiServerBackends.Available());
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench apiserver: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        });
        return command;
    }

    private static Command BuildEndpoints(Option<bool> json, Option<FileInfo?> output)
    {
        var services = new Option<int>("--services") { Description = "Services, each selecting --pods pods.", DefaultValueFactory = _ => 1000 };
        var pods = new Option<int>("--pods") { Description = "Pods per Service.", DefaultValueFactory = _ => 10 };
        var command = new Command("endpoints", "Readiness change to EndpointSlice latency through the endpointslice controller, and convergence after an API server restart.")
        {
            json, output, services, pods,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var benchmark = new EndpointsBenchmark(result.GetValue(services), result.GetValue(pods));
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench endpoints: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        });
        return command;
    }

    private static Command BuildProxy(Option<bool> json, Option<FileInfo?> output)
    {
        var services = new Option<string>("--services") { Description = "Service counts, comma separated.", DefaultValueFactory = _ => "1000,5000,10000" };
        var endpoints = new Option<int>("--endpoints") { Description = "Endpoints per Service.", DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per side; each phase reports the median.", DefaultValueFactory = _ => 3 };
        var backend = new Option<string?>("--iptables-backend") { Description = "legacy or nft (iptables-legacy / iptables-nft on both sides); the system's iptables by default." };
        var samples = new Option<int>("--first-packet-samples") { Description = "TCP connects to the first and to the last Service per size (0 skips the first-packet phase).", DefaultValueFactory = _ => 2000 };
        var command = new Command("proxy", "The proxy's iptables full sync vs a bare iptables-restore of the same payload, a one-Service partial sync vs the full sync, and first-packet latency to the last vs the first Service.")
        {
            json, output, services, endpoints, rounds, backend, samples,
        };
        command.SetAction(result => CommandErrors.Run(() =>
        {
            RequireRoot("bench proxy");
            var counts = result.GetValue(services)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(text => int.TryParse(text, out var n) ? n : throw new FormatException($"--services: \"{text}\" is not a number")).ToList();
            var benchmark = new ProxyBenchmark(counts, result.GetValue(endpoints), result.GetValue(rounds), result.GetValue(backend), result.GetValue(samples));
            var report = Progress.Run("bench proxy", benchmark.Run);
            Write(report, result.GetValue(json), result.GetValue(output));
            return 0;
        }));
        return command;
    }

    private static Command BuildIngress(Option<bool> json, Option<FileInfo?> output)
    {
        var connections = new Option<int>("--connections") { Description = "wrk's open connections.", DefaultValueFactory = _ => 50 };
        var duration = new Option<int>("--duration") { Description = "Seconds of load per proxy and body size.", DefaultValueFactory = _ => 10 };
        var cpus = new Option<int>("--proxy-cpus") { Description = "CPUs both proxies are pinned to (the others run wrk and the backend).", DefaultValueFactory = _ => 1 };
        var command = new Command("ingress", "wrk through Debian nginx configured as ingress-nginx would be and through strata ingress, same Ingress, same backend, same CPUs: requests/s, p50/p99.")
        {
            json, output, connections, duration, cpus,
        };
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(async () =>
        {
            var benchmark = new IngressBenchmark(LabCommands.ResolveStrata(null), result.GetValue(connections), result.GetValue(duration), result.GetValue(cpus));
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench ingress: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        }));
        return command;
    }

    private static Command BuildPods(Option<bool> json, Option<FileInfo?> output)
    {
        var nodes = new Option<int>("--nodes") { Description = "Nodes in the benchmark's own lab.", DefaultValueFactory = _ => 3 };
        var pods = new Option<int>("--pods") { Description = "Pods created at once, then as many again at --rate.", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Pods per second for the paced run.", DefaultValueFactory = _ => 10 };
        var plugins = new Option<string>("--plugins") { Description = "Strata's CNI plugin directory.", DefaultValueFactory = _ => DefaultPluginDirectory() };
        var command = new Command("pods", "strata up time and pod startup latency (create -> Ready) in a lab of its own, beside a bare ip netns add + CNI ADD with the reference plugins.")
        {
            json, output, nodes, pods, rate, plugins,
        };
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(async () =>
        {
            if (result.GetValue(rate) is var perSecond && !(perSecond > 0))
            {
                throw new ArgumentException($"--rate: {perSecond} is not a positive number of pods per second");
            }

            RequireRoot("bench pods");
            var benchmark = new PodsBenchmark(LabCommands.ResolveStrata(null), result.GetValue(plugins)!, result.GetValue(nodes), result.GetValue(pods), result.GetValue(rate));
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench pods: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        }));
        return command;
    }

    private static Command BuildDns(Option<bool> json, Option<FileInfo?> output)
    {
        var services = new Option<int>("--services") { Description = "ClusterIP Services.", DefaultValueFactory = _ => 1000 };
        var headless = new Option<int>("--headless") { Description = "Headless Services of 3 endpoints each.", DefaultValueFactory = _ => 200 };
        var seconds = new Option<int>("--seconds") { Description = "dnsperf run time per server, over UDP and again over TCP.", DefaultValueFactory = _ => 10 };
        var soak = new Option<int>("--soak") { Description = "Seconds of a further UDP run per server with its RSS sampled every 5 s (0: none).", DefaultValueFactory = _ => 60 };
        var command = new Command("dns", "dnsperf against strata dns and BIND 9 named serving the same cluster names, each pinned to one core: UDP, TCP and a memory soak.")
        {
            json, output, services, headless, seconds, soak,
        };
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(async () =>
        {
            var benchmark = new DnsBenchmark(LabCommands.ResolveStrata(null), result.GetValue(services), result.GetValue(headless), result.GetValue(seconds), result.GetValue(soak));
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench dns: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        }));
        return command;
    }

    private static Command BuildBackends(Option<bool> json, Option<FileInfo?> output)
    {
        var streams = new Option<int>("--streams") { Description = "Parallel iperf3 streams.", DefaultValueFactory = _ => 4 };
        var seconds = new Option<int>("--seconds") { Description = "Seconds of each iperf3 run.", DefaultValueFactory = _ => 5 };
        var rounds = new Option<int>("--rounds") { Description = "Runs of each path, each next to a run of the underlay; the figures are the medians.", DefaultValueFactory = _ => 3 };
        var command = new Command("backends", "The seed's backend table: TCP throughput and latency node to node, pod to pod on a node, and across nodes over host-gw, vxlan and udp.")
        {
            json, output, streams, seconds, rounds,
        };
        command.SetAction((result, cancellationToken) => CommandErrors.RunAsync(async () =>
        {
            RequireRoot("bench backends");
            var benchmark = new BackendsBenchmark(result.GetValue(streams), result.GetValue(seconds), rounds: result.GetValue(rounds));
            var report = await benchmark.RunAsync(line => Console.Error.WriteLine($"bench backends: {line}"), cancellationToken);
            Console.Out.Write(result.GetValue(json) ? report.ToJson() : report.ToText());
            if (result.GetValue(output) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToJson());
            }

            return 0;
        }));
        return command;
    }

    /// <summary>out/cni next to the strata executable (make build puts both there), through an installed symlink.</summary>
    internal static string DefaultPluginDirectory() => LabCommands.DefaultCniBin(Environment.ProcessPath ?? "strata");

    internal static void RequireRoot(string command)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new IOException($"{command} needs root: it creates network namespaces (try: sudo strata {command})");
        }
    }

    private static void Write(BenchmarkReport report, bool json, FileInfo? output)
    {
        Console.Out.Write(json ? report.ToJson() : report.ToText());
        if (output is not null)
        {
            File.WriteAllText(output.FullName, report.ToJson());
        }
    }
}
