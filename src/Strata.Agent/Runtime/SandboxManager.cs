using System.Security.Cryptography;
using k8s.Models;
using Strata.Agent.Kubelet.Pods;
using Strata.Netlink;

namespace Strata.Agent.Runtime;

/// <summary>The contents of a pod's /etc files, computed once its IPs are known.</summary>
public sealed record PodEtcFiles(string ResolvConf, string Hosts, string Hostname);

/// <summary>Where a sandbox's creation time went: the network (netns, CNI ADD) and the pod's namespaces and files.</summary>
public sealed record SandboxTimings(TimeSpan Network, TimeSpan Namespaces);

/// <summary>
/// Makes and removes pod sandboxes (containerd's RunPodSandbox / StopPodSandbox / RemovePodSandbox): the
/// checkpoint first, then the netns <c>cni-&lt;uuid&gt;</c>, CNI ADD, the pod's /etc files and its mount and UTS
/// namespaces. A failed attempt is undone entirely before the error is thrown. Teardown is idempotent and works
/// from the checkpoint alone.
/// </summary>
public sealed class SandboxManager(PodPaths paths, PodNetwork network)
{
    public PodPaths Paths => paths;

    public PodNetwork Network => network;

    /// <summary>
    /// Directories of the node's programs that containers run (the strata executable, for agnhost and the
    /// <c>strata/&lt;role&gt;</c> images). One under /tmp or /run would be hidden by the pod's own tmpfs there, so it is
    /// bound into the pod read-only at the same path.
    /// </summary>
    public IReadOnlyList<string> ProgramDirectories { get; init; } = [];

    public static SandboxCheckpoint NewCheckpoint(V1Pod pod, DateTime now) => new()
    {
        PodUid = pod.Metadata.Uid,
        PodNamespace = pod.Metadata.NamespaceProperty ?? "default",
        PodName = pod.Metadata.Name,
        SandboxId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
        HostNetwork = pod.Spec.HostNetwork == true,
        Netns = pod.Spec.HostNetwork == true ? null : $"cni-{Guid.NewGuid()}",
        CreatedAt = now,
    };

    public static string NetnsPath(string netns) => Path.Combine(NetworkNamespace.RunDirectory, netns);

    /// <summary>The namespaces a container of this pod is started in.</summary>
    public NamespacePaths NamespacesOf(SandboxCheckpoint checkpoint, string? nodeNetns)
    {
        // Without a live holder the namespaces are gone: a path that does not exist makes a start or exec fail, naming it.
        string nsDir = paths.NamespaceDirectory(checkpoint.PodUid);
        var held = PodNamespaces.Paths(nsDir) ?? (Path.Combine(nsDir, "no-live-holder"), Path.Combine(nsDir, "no-live-holder"));
        return new NamespacePaths(
            Net: checkpoint.Netns is { } netns ? NetnsPath(netns) : nodeNetns is null ? null : nodeNetns.Contains('/') ? nodeNetns : NetnsPath(nodeNetns),
            Mount: held.Mount,
            Uts: held.Uts);
    }

    /// <summary>
    /// Creates the sandbox and returns how long its network (netns + CNI ADD) and its namespaces took.
    /// <paramref name="files"/> renders the /etc files from the pod's IPs. Throws <see cref="PodNetworkException"/>
    /// when CNI ADD fails, <see cref="VolumeMountException"/> when a volume cannot be mounted (before anything is
    /// made), and <see cref="SandboxException"/> for the rest, with nothing left behind.
    /// </summary>
    public SandboxTimings Create(SandboxCheckpoint checkpoint, V1Pod pod, string nodeIp, Func<IReadOnlyList<string>, PodEtcFiles> files, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var volumes = PrepareVolumes(pod);
        string podDir = paths.PodDirectory(checkpoint.PodUid);
        checkpoint.Write(podDir);
        try
        {
            IReadOnlyList<string> ips;
            if (checkpoint.Netns is { } netns)
            {
                using (var ns = NetworkNamespace.Create(netns))
                {
                    // The runtime brings the pod's loopback up itself, as containerd's CRI plugin does.
                    using var netlink = Rtnetlink.Open(ns);
                    netlink.SetLinkUp("lo");
                }

                ips = network.Add(PodNetworkRequest.For(pod, checkpoint.SandboxId, NetnsPath(netns)), cancellationToken);
            }
            else
            {
                ips = [nodeIp];
            }

            checkpoint.PodIps = ips;
            checkpoint.Write(podDir);
            var networkTime = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            var etc = files(ips);
            string etcDir = paths.EtcDirectory(checkpoint.PodUid);
            Directory.CreateDirectory(etcDir);
            var filesystem = new PodFilesystem(
                Write(etcDir, "resolv.conf", etc.ResolvConf),
                Write(etcDir, "hosts", etc.Hosts),
                Write(etcDir, "hostname", etc.Hostname + "\n"),
                checkpoint.HostNetwork ? null : etc.Hostname,
                volumes);
            PodNamespaces.Create(paths.NamespaceDirectory(checkpoint.PodUid), filesystem);
            return new SandboxTimings(networkTime, System.Diagnostics.Stopwatch.GetElapsedTime(start) - networkTime);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TeardownQuietly(checkpoint);
            throw e is PodNetworkException or SandboxException or VolumeMountException ? e : new SandboxException(e.Message, e);
        }
        catch (OperationCanceledException)
        {
            TeardownQuietly(checkpoint);
            throw;
        }
    }

    // The mount step of the kubelet's volume manager, before the sandbox: hostPath type checks and emptyDir directories.
    private IReadOnlyList<VolumeBind> PrepareVolumes(V1Pod pod)
    {
        var binds = PodVolumes.Plan(pod, paths);
        var byName = (pod.Spec.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        var hidden = ProgramDirectories
            .Where(d => PodNamespaces.PrivateDirectories.Any(p => d.StartsWith(p + "/", StringComparison.Ordinal)))
            .Where(d => binds.All(b => b.Target != d))
            .Select(d => new VolumeBind("(the node's programs)", d, d, ReadOnly: true));
        foreach (var bind in binds.DistinctBy(b => b.Volume))
        {
            if (byName[bind.Volume].HostPath is { } hostPath)
            {
                HostPathTypes.Prepare(bind.Volume, hostPath.Path, hostPath.Type);
            }
            else if (byName[bind.Volume].EmptyDir is not null && !bind.Tmpfs && OperatingSystem.IsLinux())
            {
                // emptyDir is world-writable, as upstream makes it (pkg/volume/emptydir: perm 0777).
                Directory.CreateDirectory(bind.Source, (UnixFileMode)0b111_111_111);
                File.SetUnixFileMode(bind.Source, (UnixFileMode)0b111_111_111);
            }
        }

        return [.. binds, .. hidden];
    }

    /// <summary>CNI DEL and the netns, for a pod that finished: its IPs go back to the pool, its files stay.</summary>
    public void ReleaseNetwork(SandboxCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (checkpoint.Netns is { } netns && !checkpoint.NetworkReleased)
        {
            try
            {
                network.Delete(checkpoint.SandboxId, NetnsPath(netns), cancellationToken);
            }
            finally
            {
                // Even when DEL fails (a plugin gone with its conflist), the namespace goes: its interfaces go with it.
                if (NetworkNamespace.Exists(netns))
                {
                    NetworkNamespace.Delete(netns);
                }
            }
        }

        checkpoint.NetworkReleased = true;
        if (Directory.Exists(paths.PodDirectory(checkpoint.PodUid)))
        {
            checkpoint.Write(paths.PodDirectory(checkpoint.PodUid));
        }
    }

    /// <summary>Removes everything of the sandbox: network, namespaces, files and logs. Safe to repeat; every step is tried, the first failure is thrown.</summary>
    public void Teardown(SandboxCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        string podDir = paths.PodDirectory(checkpoint.PodUid);
        string logs = paths.PodLogDirectory(checkpoint.PodNamespace, checkpoint.PodName, checkpoint.PodUid);
        Exception? first = null;
        foreach (var step in new Action[]
        {
            () => ReleaseNetwork(checkpoint, cancellationToken),
            () => PodNamespaces.Remove(paths.NamespaceDirectory(checkpoint.PodUid)),
            () => DeleteDirectory(podDir),
            () => DeleteDirectory(logs),
        })
        {
            try
            {
                step();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                first ??= e;
            }
        }

        if (first is not null)
        {
            throw first;
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>
    /// Whether what the checkpoint names still exists: its netns (unless released) and its namespace holder. Not
    /// after a reboot or a kill of its namespace holder, or a crash in the middle of <see cref="Create"/>.
    /// </summary>
    public bool IsIntact(SandboxCheckpoint checkpoint)
    {
        if (checkpoint.Netns is { } netns && !checkpoint.NetworkReleased && !NetworkNamespace.Exists(netns))
        {
            return false;
        }

        return PodNamespaces.Paths(paths.NamespaceDirectory(checkpoint.PodUid)) is not null;
    }

    /// <summary>Every checkpoint under the root dir (for adoption after a restart).</summary>
    public IReadOnlyList<SandboxCheckpoint> Checkpoints()
    {
        if (!Directory.Exists(paths.PodsDirectory))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(paths.PodsDirectory).Order(StringComparer.Ordinal)
            .Select(SandboxCheckpoint.Read).OfType<SandboxCheckpoint>()];
    }

    private void TeardownQuietly(SandboxCheckpoint checkpoint)
    {
        try
        {
            Teardown(checkpoint, CancellationToken.None);
        }
        catch (Exception)
        {
            // The original failure is reported; what is left is retried from the checkpoint at the next teardown.
        }
    }

    private static string Write(string dir, string name, string contents)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, contents);
        return path;
    }
}
