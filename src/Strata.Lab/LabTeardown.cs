using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Netlink;
using static Strata.Lab.Interop.Libc;

namespace Strata.Lab;

/// <summary>
/// <c>strata down</c>: removes exactly what the state file lists, in reverse order of creation,
/// and never anything found by a name pattern (conventions.md, rule 11). Idempotent: each step
/// skips what is already gone, so a second run, or a run after a crash or a reboot, is fine.
/// </summary>
public sealed class LabTeardown(ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public static TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tears down the lab whose state is in <paramref name="stateDirectory"/>; false when there was nothing to do.</summary>
    public bool Down(string stateDirectory)
    {
        var state = LabState.Load(stateDirectory);
        if (state is null)
        {
            return false;
        }

        Down(state);
        return true;
    }

    public void Down(LabState state)
    {
        var failures = new List<string>();
        void Step(string what, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NetlinkException or LabException)
            {
                LabLog.TeardownStepFailed(_logger, state.Name, what, e.Message);
                failures.Add($"{what}: {e.Message}");
            }
        }

        // Every process inside the lab's network namespaces (pods, exec sessions, agents), found
        // by namespace identity, not by name; then the recorded ones by pid and start time.
        var namespaceIds = new HashSet<string>(StringComparer.Ordinal);
        Step("find the lab's namespaces", () => namespaceIds.UnionWith(LabNamespaceIds(state)));
        var recorded = state.Processes.AsEnumerable().Reverse()
            .Where(p => ProcessIdentity.IsAlive(p.Pid, p.StartTime))
            .Select(p => (p.Role, p.Pid, p.StartTime)).ToList();
        var inside = ProcessesInNamespaces(namespaceIds)
            .Where(p => recorded.All(r => r.Pid != p.Pid))
            .Select(p => ("process in the lab", p.Pid, p.StartTime));
        Step("stop processes", () => StopProcesses(state.Name, [.. recorded, .. inside]));

        foreach (string mountPoint in state.Mounts.AsEnumerable().Reverse())
        {
            Step($"umount {mountPoint}", () =>
            {
                if (MountNamespaces.Unmount(mountPoint))
                {
                    LabLog.Removed(_logger, state.Name, "mount", mountPoint);
                }
            });
        }

        foreach (string ns in state.Namespaces.AsEnumerable().Reverse())
        {
            Step($"ip netns del {ns}", () =>
            {
                if (NetworkNamespace.Exists(ns))
                {
                    NetworkNamespace.Delete(ns);
                    LabLog.Removed(_logger, state.Name, "netns", ns);
                }
            });
        }

        // Another lab may have bound its nodes' mounts over the same host paths, and removing a
        // directory unmounts what other mount namespaces mounted on it: keep them while any lab's
        // mount namespace is pinned on this host.
        if (state.HostPaths.Count > 0 && OtherLabMountNamespaces().Any())
        {
            foreach (var hostPath in state.HostPaths)
            {
                LabLog.KeptHostPath(_logger, state.Name, hostPath.Path, "another lab's nodes use it");
            }
        }
        else
        {
            foreach (var hostPath in state.HostPaths.AsEnumerable().Reverse())
            {
                Step($"remove {hostPath.Path}", () => RemoveHostPath(state.Name, hostPath));
            }
        }

        if (failures.Count > 0)
        {
            throw new LabException($"lab {state.Name}: teardown incomplete; the state in {state.StateDirectory} is kept so `strata down` can retry:\n  " + string.Join("\n  ", failures));
        }

        var stillMounted = MountNamespaces.MountsUnder(state.StateDirectory);
        if (stillMounted.Count > 0)
        {
            throw new LabException($"lab {state.Name}: {string.Join(", ", stillMounted)} still mounted; the state in {state.StateDirectory} is kept");
        }

        if (Directory.Exists(state.StateDirectory))
        {
            Directory.Delete(state.StateDirectory, recursive: true);
            LabLog.Removed(_logger, state.Name, "state directory", state.StateDirectory);
        }
    }

    private void RemoveHostPath(string lab, LabHostPath hostPath)
    {
        if (hostPath.IsDirectory)
        {
            if (!Directory.Exists(hostPath.Path))
            {
                return;
            }

            if (Directory.EnumerateFileSystemEntries(hostPath.Path).Any() || MountNamespaces.IsMountPoint(hostPath.Path))
            {
                LabLog.KeptHostPath(_logger, lab, hostPath.Path, "not empty or a mount point");
                return;
            }

            Directory.Delete(hostPath.Path);
        }
        else
        {
            var file = new FileInfo(hostPath.Path);
            if (!file.Exists)
            {
                return;
            }

            if (file.Length > 0)
            {
                LabLog.KeptHostPath(_logger, lab, hostPath.Path, "not empty");
                return;
            }

            file.Delete();
        }

        LabLog.Removed(_logger, lab, hostPath.IsDirectory ? "directory" : "file", hostPath.Path);
    }

    /// <summary>Persistent mount namespaces (nsfs mnt:[…] mounts) in the host's mount table: other labs' nodes.</summary>
    private static IEnumerable<string> OtherLabMountNamespaces() =>
        File.ReadLines("/proc/self/mountinfo").Where(line => line.Contains(" mnt:[", StringComparison.Ordinal) && line.Contains(" nsfs ", StringComparison.Ordinal));

    /// <summary>SIGTERM, a grace period, then SIGKILL; a process whose start time changed is someone else's and is left alone.</summary>
    private void StopProcesses(string lab, IReadOnlyList<(string Role, int Pid, ulong StartTime)> processes)
    {
        var alive = processes.Where(p => ProcessIdentity.IsAlive(p.Pid, p.StartTime)).ToList();
        foreach (var p in processes.Except(alive))
        {
            LabLog.AlreadyGone(_logger, lab, p.Role, p.Pid);
        }

        foreach (var p in alive)
        {
            LabLog.Stopping(_logger, lab, p.Role, p.Pid, "SIGTERM");
            kill(p.Pid, SIGTERM);
        }

        var deadline = DateTime.UtcNow + StopGrace;
        while (alive.Count > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            alive.RemoveAll(p => !ProcessIdentity.IsAlive(p.Pid, p.StartTime));
        }

        foreach (var p in alive)
        {
            LabLog.Stopping(_logger, lab, p.Role, p.Pid, "SIGKILL");
            kill(p.Pid, SIGKILL);
        }

        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (alive.Count > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
            alive.RemoveAll(p => !ProcessIdentity.IsAlive(p.Pid, p.StartTime));
        }

        if (alive.Count > 0)
        {
            throw new LabException($"processes still running after SIGKILL: {string.Join(", ", alive.Select(p => $"{p.Role} (pid {p.Pid})"))}");
        }
    }

    /// <summary>The ids ("net:[4026532…]") of the lab's network namespaces: the underlay, the nodes, and the pods' (listed in each node's /run/netns).</summary>
    internal static IReadOnlyList<string> LabNamespaceIds(LabState state)
    {
        var ids = new List<string>();
        foreach (string ns in state.Namespaces)
        {
            if (NetworkNamespace.Exists(ns) && NamespaceId(Path.Combine(NetworkNamespace.RunDirectory, ns)) is { } id)
            {
                ids.Add(id);
            }
        }

        foreach (var node in state.Nodes)
        {
            if (!MountNamespaces.IsMountPoint(node.MountNamespace))
            {
                continue;
            }

            ids.AddRange(NamespaceThread.Run(null, node.MountNamespace, () =>
                Directory.Exists(NetworkNamespace.RunDirectory)
                    ? Directory.EnumerateFiles(NetworkNamespace.RunDirectory).Select(NamespaceId).OfType<string>().ToList()
                    : []));
        }

        return ids;
    }

    /// <summary>
    /// The namespace a file refers to, in the form /proc/PID/ns/net links read ("net:[4026532…]"):
    /// a bind-mounted namespace file resolves to the namespace's inode; null if it cannot be read.
    /// </summary>
    internal static string? NamespaceId(string path) => Interop.Libc.Inode(path) is { } inode ? $"net:[{inode}]" : null;

    internal static IEnumerable<(int Pid, ulong StartTime)> ProcessesInNamespaces(IReadOnlySet<string> ids)
    {
        if (ids.Count == 0)
        {
            yield break;
        }

        int self = Environment.ProcessId;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == self)
            {
                continue;
            }

            string? link = NamespaceId($"{dir}/ns/net");

            if (link is not null && ids.Contains(link) && ProcessIdentity.Read(pid) is { IsZombie: false } identity)
            {
                yield return (pid, identity.StartTime);
            }
        }
    }
}
