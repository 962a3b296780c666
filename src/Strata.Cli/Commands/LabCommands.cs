using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Strata.Lab;

namespace Strata.Cli.Commands;

/// <summary><c>strata up</c>, <c>down</c>, <c>status</c>, <c>exec</c> and <c>logs</c>: the lab (ARCHITECTURE.md, "The lab topology").</summary>
internal static class LabCommands
{
    public static void AddTo(RootCommand root)
    {
        foreach (var command in new[] { BuildUp(), BuildDown(), BuildStatus(), BuildExec(), BuildLogs() })
        {
            root.Subcommands.Add(command);
        }
    }

    private sealed class LabLocation
    {
        public Option<string> Name { get; } = new("--name") { Description = "The lab's name (namespaces strata-NAME-*; the default lab's are strata-*).", DefaultValueFactory = _ => LabSpec.DefaultName };

        public Option<string?> StateDir { get; } = new("--state-dir") { Description = $"The lab's state directory (default {LabSpec.DefaultStateRoot}/NAME)." };

        public void AddTo(Command command)
        {
            command.Options.Add(Name);
            command.Options.Add(StateDir);
        }

        public string StateDirectory(ParseResult result) =>
            result.GetValue(StateDir) is { } dir ? Path.GetFullPath(dir) : LabSpec.DefaultStateDirectory(result.GetValue(Name)!);

        /// <summary>The lab's state, or a clear error when it is not up.</summary>
        public LabState Load(ParseResult result)
        {
            string dir = StateDirectory(result);
            return LabState.Load(dir) ?? throw new LabException($"lab {result.GetValue(Name)} is not up (no {LabState.FileName} in {dir}); start it with `strata up`");
        }
    }

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is LabException or IOException or UnauthorizedAccessException or Strata.Netlink.NetlinkException)
        {
            Console.Error.WriteLine($"strata: {e.Message}");
            return 1;
        }
    }

    private static Command BuildUp()
    {
        var location = new LabLocation();
        var nodes = new Option<int?>("--nodes") { Description = "How many nodes (default 3: node1 172.19.0.8, node2 .13, node3 .15)." };
        var backend = new Option<string?>("--backend") { Description = "The pod network backend: vxlan, host-gw or udp (default vxlan): flannel's Backend.Type in kube-flannel-cfg." };
        var proxyMode = new Option<string?>("--proxy-mode") { Description = "The Service proxy mode, given to the kube-proxy DaemonSet: iptables (default; ipvs is not built into this kernel)." };
        var segments = new Option<int?>("--segments") { Description = "L2 segments joined by a router namespace (default 1); with 2, node3 is 172.19.1.15, across the router from node1 and node2." };
        var config = new Option<string?>("--config") { Description = "A lab.yaml with name, nodes, underlay, apiAddress, apiPort, backend, proxyMode, clusterCidr, serviceCidr, segments." };
        var apiPort = new Option<int?>("--api-port") { Description = "The API server's port on the host's 127.0.0.1 (default 6443)." };
        var strata = new Option<string?>("--strata") { Description = "The strata executable to run as API server and agents (default: this one)." };
        var cniBin = new Option<string?>("--cni-bin") { Description = "Strata's CNI plugins (default: the cni directory next to the strata executable)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for every node to be Ready.", DefaultValueFactory = _ => 120 };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every step on stderr." };
        var command = new Command("up", "Build the lab: the underlay, the node namespaces, the control plane and an agent per node; wait until every node is Ready.")
        {
            nodes, segments, backend, proxyMode, config, apiPort, strata, cniBin, timeout, verbose,
        };
        location.AddTo(command);
        command.SetAction((result, cancellationToken) => Task.FromResult(Run(() =>
        {
            var spec = LabSpecBuilder.Build(new LabFlags
            {
                Name = result.GetResult(location.Name) is { Implicit: false } ? result.GetValue(location.Name) : null,
                Nodes = result.GetValue(nodes),
                Backend = result.GetValue(backend),
                ProxyMode = result.GetValue(proxyMode),
                ApiPort = result.GetValue(apiPort),
                StateDirectory = result.GetValue(location.StateDir),
                Segments = result.GetValue(segments),
            }, result.GetValue(config));
            string strataPath = ResolveStrata(result.GetValue(strata));
            var options = new LabUpOptions
            {
                StrataPath = strataPath,
                CniBinDirectory = result.GetValue(cniBin) ?? DefaultCniBin(strataPath),
                ReadyTimeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
            };
            using var loggerFactory = LoggerFactory.Create(b => b
                .SetMinimumLevel(result.GetValue(verbose) ? LogLevel.Debug : LogLevel.Warning)
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var logger = loggerFactory.CreateLogger("Strata.Lab");
            LabState state;
            try
            {
                state = Progress.Run($"strata up {spec.Name}", progress =>
                    new LabBuilder(spec, options, logger, progress ?? new PlainProgress()).UpAsync(cancellationToken).GetAwaiter().GetResult());
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"strata: interrupted; lab {spec.Name} is left as it is (`strata down{(spec.Name == LabSpec.DefaultName ? "" : " --name " + spec.Name)}` removes it)");
                return 130;
            }

            Console.Error.WriteLine($"lab {state.Name} is up: {string.Join(", ", state.Nodes.Select(n => $"{n.Name} {n.Address}"))} Ready; API at https://127.0.0.1:{state.ApiPort} (https://{state.ApiAddress}:{LabSpec.LabApiPort} inside the lab){(state.LoadBalancerPool.Length > 0 ? $"; LoadBalancer pool {state.LoadBalancerPool}" : "")}");
            Console.WriteLine($"export KUBECONFIG={LabPaths.Kubeconfig(state.StateDirectory)}");
            return 0;
        })));
        return command;
    }

    /// <summary>Progress as plain lines when stderr is not a terminal, each distinct step once.</summary>
    private sealed class PlainProgress : IProgress<string>
    {
        private string? _last;

        public void Report(string value)
        {
            if (value != _last)
            {
                _last = value;
                Console.Error.WriteLine($"strata up: {value}");
            }
        }
    }

    internal static string ResolveStrata(string? given)
    {
        if (given is not null)
        {
            return Path.GetFullPath(given);
        }

        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "strata")
        {
            return self;
        }

        string beside = Path.Combine(AppContext.BaseDirectory, "strata");
        return File.Exists(beside) ? beside : throw new LabException("cannot tell which strata executable to start; pass --strata PATH (e.g. out/strata from make build)");
    }

    /// <summary>The cni directory next to the real strata executable (through an installed symlink such as /usr/local/bin/strata).</summary>
    internal static string DefaultCniBin(string strataPath)
    {
        var file = new FileInfo(strataPath);
        string real = file.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file.FullName;
        return Path.Combine(Path.GetDirectoryName(real)!, "cni");
    }

    private static Command BuildDown()
    {
        var location = new LabLocation();
        var command = new Command("down", "Tear the lab down: stop its processes, delete its namespaces and mounts, remove its state. Idempotent.");
        location.AddTo(command);
        command.SetAction(result => Run(() =>
        {
            string dir = location.StateDirectory(result);
            string name = result.GetValue(location.Name)!;
            bool removed = new LabTeardown().Down(dir);
            Console.WriteLine(removed ? $"lab {name} is down" : $"lab {name} is not up (no {LabState.FileName} in {dir}): nothing to do");
            return 0;
        }));
        return command;
    }

    private static Command BuildStatus()
    {
        var location = new LabLocation();
        var command = new Command("status", "Show the lab's nodes, processes and namespaces, and their health (exit code 1 when unhealthy).");
        location.AddTo(command);
        command.SetAction(result => Run(() =>
        {
            var state = location.Load(result);
            var report = LabStatusReport.CollectAsync(state).GetAwaiter().GetResult();
            Console.WriteLine($"lab {report.Name} ({report.StateDirectory}): {(report.Healthy ? "healthy" : "UNHEALTHY")}");
            Console.WriteLine();
            Table(["PROCESS", "PID", "STATE"], report.Processes.Select(p => new[] { p.Role, p.Pid.ToString(CultureInfo.InvariantCulture), p.Alive ? "running" : "dead" }));
            Console.WriteLine();
            Table(["NAMESPACE", "KIND", "STATE"], report.Namespaces.Select(n => new[] { n.Name, n.Kind, n.Present ? "present" : "missing" }));
            Console.WriteLine();
            if (report.ApiError is not null)
            {
                Console.WriteLine($"API server not reachable: {report.ApiError}");
            }
            else
            {
                Table(["NODE", "ADDRESS", "READY", "PODCIDR"], report.Nodes.Select(n => new[] { n.Name, n.Address, n.Ready, n.PodCidr }));
            }

            return report.Healthy ? 0 : 1;
        }));
        return command;
    }

    private static void Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            Console.WriteLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static Command BuildExec()
    {
        var location = new LabLocation();
        var node = new Argument<string>("node") { Description = "A node (node1, …), underlay, or router (a lab with --segments)." };
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments, after --.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Run a command inside a node's network and mount namespaces, e.g. strata exec node1 -- ip route.") { node, commandLine };
        location.AddTo(command);
        command.SetAction(result => Run(() =>
        {
            var state = location.Load(result);
            string target = result.GetValue(node)!;
            string[] argv = result.GetValue(commandLine)!;
            SpawnSpec spawn;
            string router = new LabNames(state.Name).RouterNamespace;
            if (target == LabNames.UnderlayRole || (target == LabNames.RouterRole && state.Namespaces.Contains(router)))
            {
                string ns = target == LabNames.UnderlayRole ? state.UnderlayNamespace : router;
                spawn = new SpawnSpec { Program = argv[0], Arguments = argv[1..], SearchPath = true, NetworkNamespace = Path.Combine(Strata.Netlink.NetworkNamespace.RunDirectory, ns) };
            }
            else
            {
                var found = state.Nodes.FirstOrDefault(n => n.Name == target)
                    ?? throw new LabException($"lab {state.Name} has no node \"{target}\" (nodes: {string.Join(", ", state.Nodes.Select(n => n.Name))}, or underlay)");
                spawn = new SpawnSpec
                {
                    Program = argv[0],
                    Arguments = argv[1..],
                    SearchPath = true,
                    NetworkNamespace = Path.Combine(Strata.Netlink.NetworkNamespace.RunDirectory, found.Namespace),
                    MountNamespace = found.MountNamespace,
                };
            }

            // Ctrl-C goes to the whole foreground process group: the command decides, we wait for it.
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
            using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context => context.Cancel = true);
            return LabSpawner.Run(spawn);
        }));
        return command;
    }

    private static Command BuildLogs()
    {
        var location = new LabLocation();
        var component = new Argument<string>("component") { Description = "apiserver or a node (node1, …)." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing what is appended, until interrupted." };
        var command = new Command("logs", "Show a lab component's log (the API server's or a node agent's).") { component, follow };
        location.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            string? file = null;
            int rc = Run(() =>
            {
                var state = location.Load(result);
                string name = result.GetValue(component)!;
                var known = new[] { LabNames.ApiServerRole }.Concat(state.Nodes.Select(n => n.Name)).ToList();
                if (!known.Contains(name))
                {
                    throw new LabException($"lab {state.Name} has no component \"{name}\" (known: {string.Join(", ", known)})");
                }

                file = LabPaths.Log(state.StateDirectory, name);
                return 0;
            });
            if (rc != 0 || file is null)
            {
                return rc;
            }

            if (!File.Exists(file))
            {
                Console.Error.WriteLine($"strata: {file} does not exist yet");
                return 1;
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var stdout = Console.OpenStandardOutput();
            await stream.CopyToAsync(stdout, cancellationToken);
            while (result.GetValue(follow) && !cancellationToken.IsCancellationRequested && File.Exists(file))
            {
                try
                {
                    await Task.Delay(200, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await stream.CopyToAsync(stdout, CancellationToken.None);
            }

            return 0;
        });
        return command;
    }
}
