using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Netlink;

namespace Strata.Lab;

/// <summary>How <c>strata up</c> runs: which executables it starts and how long it waits.</summary>
public sealed record LabUpOptions
{
    /// <summary>The strata executable started as the API server and the agents.</summary>
    public required string StrataPath { get; init; }

    /// <summary>Strata's CNI plugins (out/cni), linked into each node's /opt/cni/bin.</summary>
    public required string CniBinDirectory { get; init; }

    public TimeSpan ApiServerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The manifests applied once the nodes are registered (<see cref="LabAddons.BuiltIn"/> by default).</summary>
    public IReadOnlyList<AddonManifest> Addons { get; init; } = LabAddons.BuiltIn;
}

/// <summary>
/// <c>strata up</c>: builds the lab's topology, starts the control plane, applies the addons (flannel's DaemonSet
/// writes each node's CNI network), starts the agents, and waits until every node is Ready. Every
/// object is recorded in the state file before it is created; a failure while building tears
/// down what was built.
/// </summary>
public sealed class LabBuilder(LabSpec spec, LabUpOptions options, ILogger? logger = null, IProgress<string>? progress = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private LabState _state = null!;


    public async Task<LabState> UpAsync(CancellationToken cancellationToken = default)
    {
        // Every addon is rendered and parsed before anything is built: a bad manifest stops `strata up` with nothing made.
        var tokens = LabAddons.Tokens(spec);
        var addons = options.Addons.Select(a => (a.File, Objects: LabAddons.Parse(a.File, LabAddons.Render(a, tokens)))).ToList();
        Preflight();
        _state = NewState();
        _state.Save();
        try
        {
            Report("creating the underlay and the nodes");
            CreateDirectories();
            CreateHostMountPoints();
            CreateNetworks();
            CreateMountNamespaces();
            LinkPlugins();
            Report("starting the API server");
            StartApiServer();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Rollback();
            throw new LabException($"lab {spec.Name}: {e.Message} (everything built so far was removed)", e);
        }

        // From here on the lab stays up on failure, so its logs can be read.
        await WaitForApiServerAsync(cancellationToken);
        WriteKubeconfigs();
        Report("registering the nodes");
        await RegisterNodesAsync(cancellationToken);
        if (addons.Count > 0)
        {
            Report($"deploying the addons: {string.Join(", ", addons.Select(a => Path.GetFileNameWithoutExtension(a.File)))}");
            using var client = RemoteKubeClient.FromKubeconfig(LabPaths.Kubeconfig(spec.StateDirectory));
            foreach (var addon in addons)
            {
                await LabAddons.ApplyAsync(client, addon.File, addon.Objects, cancellationToken);
            }
        }

        Report("starting the agents");
        StartAgents();

        await WaitForNodesAsync(cancellationToken);
        return _state;
    }

    private void Report(string step)
    {
        LabLog.Step(_logger, spec.Name, step);
        progress?.Report(step);
    }

    private void Rollback()
    {
        try
        {
            new LabTeardown(_logger).Down(_state);
        }
        catch (Exception e) when (e is LabException or IOException)
        {
            LabLog.TeardownStepFailed(_logger, spec.Name, "rollback", e.Message);
        }
    }

    /// <summary>Refuses bad situations before anything is created: not root, a running lab, foreign namespaces, a busy port, missing executables.</summary>
    private void Preflight()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabException("strata up needs root: it creates network and mount namespaces (sudo strata up)");
        }

        if (!File.Exists(options.StrataPath))
        {
            throw new LabException($"--strata: {options.StrataPath} does not exist (run make build)");
        }

        if (!Directory.Exists(options.CniBinDirectory) || !Directory.EnumerateFileSystemEntries(options.CniBinDirectory).Any())
        {
            throw new LabException($"--cni-bin: {options.CniBinDirectory} has no CNI plugins (run make build)");
        }

        if (LabState.Load(spec.StateDirectory) is { } previous)
        {
            var running = previous.Processes.Where(p => ProcessIdentity.IsAlive(p.Pid, p.StartTime)).ToList();
            if (running.Count > 0)
            {
                throw new LabException($"lab {spec.Name} is already up ({string.Join(", ", running.Select(p => $"{p.Role} pid {p.Pid}"))}); run `strata down{NameFlag}` first");
            }

            LabLog.CleaningLeftovers(_logger, spec.Name, spec.StateDirectory);
            Report("removing the leftovers of a crashed lab");
            new LabTeardown(_logger).Down(previous);
        }
        else if (Directory.Exists(spec.StateDirectory) && Directory.EnumerateFileSystemEntries(spec.StateDirectory).Any())
        {
            throw new LabException($"--state-dir: {spec.StateDirectory} is not empty and has no {LabState.FileName}; choose another directory");
        }

        var names = spec.Names;
        foreach (string ns in new[] { names.UnderlayNamespace }.Concat(spec.Nodes.Select(n => names.NodeNamespace(n.Name))))
        {
            if (NetworkNamespace.Exists(ns))
            {
                throw new LabException($"network namespace {ns} exists but is not in lab {spec.Name}'s state; it is not ours to remove (ip netns del {ns}, or choose another --name)");
            }
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, spec.ApiPort));
        }
        catch (SocketException e)
        {
            throw new LabException($"--api-port: 127.0.0.1:{spec.ApiPort} is not free ({e.Message}); choose another port", e);
        }
    }

    /// <summary>The flags that name this lab on the command line, for the hints in messages.</summary>
    private string NameFlag =>
        (spec.Name == LabSpec.DefaultName ? "" : $" --name {spec.Name}") +
        (spec.StateDirectory == LabSpec.DefaultStateDirectory(spec.Name) ? "" : $" --state-dir {spec.StateDirectory}");

    private LabState NewState()
    {
        var names = spec.Names;
        return new LabState
        {
            Name = spec.Name,
            StateDirectory = spec.StateDirectory,
            ApiPort = spec.ApiPort,
            ApiAddress = spec.ApiAddress.ToString(),
            Underlay = spec.Underlay.ToString(),
            UnderlayNamespace = names.UnderlayNamespace,
            LoadBalancerPool = spec.LoadBalancerPoolText,
            Nodes = [.. spec.Nodes.Select(n => new LabStateNode(n.Name, n.Address.ToString(), names.NodeNamespace(n.Name), new NodeLayout(spec.StateDirectory, n.Name).MountNamespace))],
        };
    }

    private void CreateDirectories()
    {
        Directory.CreateDirectory(LabPaths.Logs(spec.StateDirectory));
        Directory.CreateDirectory(LabPaths.ApiServerData(spec.StateDirectory));
        foreach (var node in spec.Nodes)
        {
            foreach (var m in new NodeLayout(spec.StateDirectory, node.Name).Mounts)
            {
                if (m.IsFile)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(m.Source)!);
                    File.WriteAllBytes(m.Source, []);
                }
                else
                {
                    Directory.CreateDirectory(m.Source);
                }
            }
        }
    }

    /// <summary>Bind mounts need their targets: the ones missing on the host are made (and recorded first, so down removes them).</summary>
    private void CreateHostMountPoints()
    {
        foreach (var (_, target, isFile) in NodeLayout.Table)
        {
            var missing = new List<LabHostPath>();
            string? dir = isFile ? Path.GetDirectoryName(target) : target;
            for (; dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
            {
                missing.Insert(0, new LabHostPath(dir, IsDirectory: true));
            }

            if (isFile && !File.Exists(target))
            {
                missing.Add(new LabHostPath(target, IsDirectory: false));
            }

            if (missing.Count == 0)
            {
                continue;
            }

            _state.Record(s => s.HostPaths.AddRange(missing));
            foreach (var path in missing)
            {
                if (path.IsDirectory)
                {
                    Directory.CreateDirectory(path.Path);
                }
                else
                {
                    File.WriteAllBytes(path.Path, []);
                }

                LabLog.Created(_logger, spec.Name, "host path", path.Path);
            }
        }
    }

    private void CreateNetworks()
    {
        var names = spec.Names;
        bool routed = spec.Segments > 1;
        _state.Record(s => s.Namespaces.AddRange([names.UnderlayNamespace, .. routed ? [names.RouterNamespace] : Array.Empty<string>(), .. spec.Nodes.Select(n => names.NodeNamespace(n.Name))]));
        using var underlay = NetworkNamespace.Create(names.UnderlayNamespace);
        using (var nl = Rtnetlink.Open(underlay))
        {
            nl.SetLinkUp("lo");
            for (int k = 0; k < spec.Segments; k++)
            {
                nl.AddLink(new BridgeSpec(LabNames.SegmentBridge(k)) { Up = true });
            }

            nl.AddAddress(LabNames.SegmentBridge(0), new IpPrefix(spec.ApiAddress, spec.LinkPrefixLength));
            if (routed)
            {
                nl.AddRoute(new Route(spec.Underlay) { Gateway = spec.RouterAddress(0) });
            }
        }

        LabLog.Created(_logger, spec.Name, "netns", names.UnderlayNamespace);
        if (routed)
        {
            CreateRouter(underlay);
        }

        for (int i = 0; i < spec.Nodes.Count; i++)
        {
            var node = spec.Nodes[i];
            using var ns = NetworkNamespace.Create(names.NodeNamespace(node.Name));
            using (var nl = Rtnetlink.Open(underlay))
            {
                nl.AddLink(new VethSpec(LabNames.UnderlayVeth(node.Name, i + 1), LabNames.NodeInterface)
                {
                    PeerNamespace = ns,
                    Master = LabNames.SegmentBridge(node.Segment),
                    Up = true,
                });
            }

            using (var nl = Rtnetlink.Open(ns))
            {
                nl.SetLinkUp("lo");
                nl.AddAddress(LabNames.NodeInterface, new IpPrefix(node.Address, spec.LinkPrefixLength));
                nl.SetLinkUp(LabNames.NodeInterface);
                // A default route, as a real node has, so that a packet to an address no one serves is routed and
                // kube-proxy's REJECT answers it; it points into the lab (the underlay's bridge address, or the segment's
                // router), which has no route out, so nothing leaves the lab.
                nl.AddRoute(new Route(IpPrefix.Parse("0.0.0.0/0")) { Gateway = routed ? spec.RouterAddress(node.Segment) : spec.ApiAddress });
            }

            ns.WriteSysctl("net.ipv4.ip_forward", "1");
            TryWriteSysctl(ns, "net.bridge.bridge-nf-call-iptables", "1");
            LabLog.Created(_logger, spec.Name, "netns", ns.Name);
        }
    }

    /// <summary>The router namespace: a leg <c>eth&lt;k&gt;</c> on each segment's bridge at the segment's .1, forwarding between them.</summary>
    private void CreateRouter(NetworkNamespace underlay)
    {
        using var router = NetworkNamespace.Create(spec.Names.RouterNamespace);
        for (int k = 0; k < spec.Segments; k++)
        {
            using (var nl = Rtnetlink.Open(underlay))
            {
                nl.AddLink(new VethSpec(LabNames.RouterVeth(k), $"eth{k}") { PeerNamespace = router, Master = LabNames.SegmentBridge(k), Up = true });
            }

            using var rl = Rtnetlink.Open(router);
            rl.AddAddress($"eth{k}", new IpPrefix(spec.RouterAddress(k), LabSpec.SegmentPrefixLength));
            rl.SetLinkUp($"eth{k}");
        }

        using (var rl = Rtnetlink.Open(router))
        {
            rl.SetLinkUp("lo");
        }

        router.WriteSysctl("net.ipv4.ip_forward", "1");
        LabLog.Created(_logger, spec.Name, "netns", router.Name);
    }

    /// <summary>net.bridge.* exists only with br_netfilter loaded; without it there is nothing to set.</summary>
    private static void TryWriteSysctl(NetworkNamespace ns, string key, string value)
    {
        try
        {
            ns.WriteSysctl(key, value);
        }
        catch (NetlinkException)
        {
        }
    }

    private void CreateMountNamespaces()
    {
        string nsDirectory = LabPaths.NamespaceDirectory(spec.StateDirectory);
        _state.Record(s => s.Mounts.Add(nsDirectory));
        MountNamespaces.MakePrivateMountPoint(nsDirectory);
        foreach (var node in spec.Nodes)
        {
            var layout = new NodeLayout(spec.StateDirectory, node.Name);
            _state.Record(s => s.Mounts.Add(layout.MountNamespace));
            MountNamespaces.Create(layout.MountNamespace, layout.Mounts);
            LabLog.Created(_logger, spec.Name, "mount namespace", layout.MountNamespace);
        }
    }

    /// <summary>Each node's /opt/cni/bin gets symlinks to Strata's plugins (the multi-call binary reads its name from argv[0]).</summary>
    private void LinkPlugins()
    {
        string source = Path.GetFullPath(options.CniBinDirectory);
        var plugins = Directory.EnumerateFileSystemEntries(source)
            .Where(p => !p.EndsWith(".dbg", StringComparison.Ordinal) && !p.EndsWith(".pdb", StringComparison.Ordinal))
            .ToList();
        foreach (var node in spec.Nodes)
        {
            string bin = new NodeLayout(spec.StateDirectory, node.Name).CniBinDirectory;
            foreach (string plugin in plugins)
            {
                File.CreateSymbolicLink(Path.Combine(bin, Path.GetFileName(plugin)), plugin);
            }
        }
    }

    private void StartApiServer()
    {
        // The lab's address is reached through a socket opened inside the underlay namespace and
        // handed to the API server, never through a route from the host (ARCHITECTURE.md, principle 4).
        using var underlay = NetworkNamespace.Open(spec.Names.UnderlayNamespace);
        using var listener = underlay.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(spec.ApiAddress, LabSpec.LabApiPort));
            socket.Listen(512);
            return socket;
        });
        Start(LabNames.ApiServerRole, new SpawnSpec
        {
            Program = options.StrataPath,
            Arguments =
            [
                "apiserver",
                "--data-dir", LabPaths.ApiServerData(spec.StateDirectory),
                "--listen", $"127.0.0.1:{spec.ApiPort}",
                "--listen-fd", LabSpawner.PassedDescriptorNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--advertise-address", spec.ApiAddress.ToString(),
                "--kubelet-netns", spec.Names.UnderlayNamespace,
                "--controllers", "*",
                "--cluster-cidr", spec.ClusterCidr.ToString(),
                "--service-cluster-ip-range", spec.ServiceCidr.ToString(),
                .. (spec.LoadBalancerPoolText.Length > 0 ? (string[])["--load-balancer-pool", spec.LoadBalancerPoolText] : []),
            ],
            LogFile = LabPaths.Log(spec.StateDirectory, LabNames.ApiServerRole),
            NewSession = true,
            PassedDescriptor = listener.SafeHandle,
        });
    }

    private void Start(string role, SpawnSpec spawn)
    {
        int pid = LabSpawner.Spawn(spawn);
        // Without its start time a process could never be told from a later one with its pid, nor stopped by down.
        ulong startTime = ProcessIdentity.Read(pid)?.StartTime
            ?? throw new LabException($"{role} (pid {pid}) exited as soon as it started; see `strata logs {role}{NameFlag}`");
        _state.Record(s => s.Processes.Add(new LabProcess(role, pid, startTime)));
        LabLog.Started(_logger, spec.Name, role, pid);
    }

    private async Task WaitForApiServerAsync(CancellationToken cancellationToken)
    {
        Report("waiting for the API server");
        string kubeconfig = Path.Combine(LabPaths.ApiServerData(spec.StateDirectory), "kubeconfig");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        var apiServer = _state.Processes.Single(p => p.Role == LabNames.ApiServerRole);
        var deadline = DateTime.UtcNow + options.ApiServerTimeout;
        string last = "no answer yet";
        while (true)
        {
            if (!ProcessIdentity.IsAlive(apiServer.Pid, apiServer.StartTime))
            {
                throw new LabException($"the API server exited: {LastLines(LabPaths.Log(spec.StateDirectory, LabNames.ApiServerRole))}\nthe lab is left up for inspection: `strata logs apiserver{NameFlag}`, then `strata down{NameFlag}`");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"https://127.0.0.1:{spec.ApiPort}/readyz"), cancellationToken);
                if (response.IsSuccessStatusCode && File.Exists(kubeconfig))
                {
                    return;
                }

                last = $"/readyz answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "/readyz timed out";
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new LabException($"the API server is not ready after {options.ApiServerTimeout.TotalSeconds:0} s ({last}); see `strata logs apiserver{NameFlag}`");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static string LastLines(string file, int count = 5)
    {
        if (!File.Exists(file))
        {
            return "(no log)";
        }

        return string.Join("\n", File.ReadLines(file).TakeLast(count));
    }

    private void WriteKubeconfigs()
    {
        string hostKubeconfig = File.ReadAllText(Path.Combine(LabPaths.ApiServerData(spec.StateDirectory), "kubeconfig"));
        WritePrivate(LabPaths.Kubeconfig(spec.StateDirectory), hostKubeconfig);
        string nodeKubeconfig = KubeconfigRewriter.WithServer(hostKubeconfig, $"https://{spec.ApiAddress}:{LabSpec.LabApiPort}");
        foreach (var node in spec.Nodes)
        {
            WritePrivate(new NodeLayout(spec.StateDirectory, node.Name).Kubeconfig, nodeKubeconfig);
        }
    }

    /// <summary>A kubeconfig carries the admin token: 0600, as the API server writes its own.</summary>
    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Creates the Node objects one after another, each once the one before has its podCIDR, so node1 gets
    /// 10.233.64.0/24, node2 .65 and node3 .66 as in the seed; agents that start together would race for them.
    /// Each agent adopts its Node, as a kubelet adopts one registered before it.
    /// </summary>
    private async Task RegisterNodesAsync(CancellationToken cancellationToken)
    {
        using var client = RemoteKubeClient.FromKubeconfig(LabPaths.Kubeconfig(spec.StateDirectory));
        foreach (var node in spec.Nodes)
        {
            try
            {
                await client.CreateAsync(new V1Node
                {
                    ApiVersion = "v1",
                    Kind = "Node",
                    Metadata = new V1ObjectMeta { Name = node.Name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = node.Name } },
                }, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
            }

            var deadline = DateTime.UtcNow + options.ApiServerTimeout;
            while ((await client.GetAsync<V1Node>(null, node.Name, cancellationToken))?.Spec?.PodCIDR is null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new LabException($"node {node.Name} got no podCIDR from nodeipam after {options.ApiServerTimeout.TotalSeconds:0} s; see `strata logs apiserver{NameFlag}`");
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private void StartAgents()
    {
        foreach (var node in spec.Nodes)
        {
            var layout = new NodeLayout(spec.StateDirectory, node.Name);
            Start(node.Name, new SpawnSpec
            {
                Program = options.StrataPath,
                Arguments =
                [
                    "agent",
                    "--roles", "kubelet",
                    "--node-name", node.Name,
                    "--node-ip", node.Address.ToString(),
                    "--kubeconfig", NodeLayout.KubeconfigInNode,
                    "--cluster-dns", spec.ClusterDns.ToString(),
                ],
                LogFile = layout.Log,
                NewSession = true,
                NetworkNamespace = Path.Combine(NetworkNamespace.RunDirectory, spec.Names.NodeNamespace(node.Name)),
                MountNamespace = layout.MountNamespace,
            });
        }
    }

    /// <summary>
    /// Waits until every node is Ready. Each node's CNI network (10-flannel.conflist) comes from the flannel DaemonSet
    /// (Addons/kube-flannel.yaml), which the kubelet runs before the node is Ready, as on a kubeadm cluster.
    /// </summary>
    private async Task WaitForNodesAsync(CancellationToken cancellationToken)
    {
        using var client = RemoteKubeClient.FromKubeconfig(LabPaths.Kubeconfig(spec.StateDirectory));
        var deadline = DateTime.UtcNow + options.ReadyTimeout;
        var notReady = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Dictionary<string, V1Node> nodes;
            try
            {
                nodes = (await client.ListAsync<V1Node>(ListRequest.All, cancellationToken)).Items.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
            }
            catch (Exception e) when (e is HttpRequestException or KubeApiException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LabLog.Waiting(_logger, spec.Name, "the node list", e.Message);
                nodes = [];
            }

            notReady.Clear();
            foreach (var node in spec.Nodes)
            {
                if (!nodes.TryGetValue(node.Name, out var registered))
                {
                    notReady[node.Name] = "not registered";
                    continue;
                }

                var ready = registered.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
                if (ready?.Status != "True")
                {
                    notReady[node.Name] = ready is null ? "no Ready condition yet" : $"{ready.Reason}: {ready.Message}";
                }
            }

            if (notReady.Count == 0)
            {
                return;
            }

            progress?.Report($"nodes Ready {spec.Nodes.Count - notReady.Count}/{spec.Nodes.Count} (waiting for {string.Join(", ", notReady.Keys)})");
            foreach (var agent in _state.Processes.Where(p => p.Role != LabNames.ApiServerRole))
            {
                if (!ProcessIdentity.IsAlive(agent.Pid, agent.StartTime))
                {
                    throw new LabException($"the agent of {agent.Role} exited: {LastLines(new NodeLayout(spec.StateDirectory, agent.Role).Log)}\nsee `strata logs {agent.Role}{NameFlag}`; the lab is left up for inspection (`strata down{NameFlag}` removes it)");
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new LabException($"nodes not Ready after {options.ReadyTimeout.TotalSeconds:0} s: {string.Join("; ", notReady.Select(n => $"{n.Key} ({n.Value})"))}\nsee `strata logs {notReady.Keys.First()}{NameFlag}`; the lab is left up for inspection (`strata down{NameFlag}` removes it)");
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
