using System.Text;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>What the pod's own mount namespace shows: its files over /etc, its hostname, and private /run and /tmp.</summary>
/// <param name="ResolvConf">The file bind-mounted over /etc/resolv.conf.</param>
/// <param name="Hosts">The file bind-mounted over /etc/hosts.</param>
/// <param name="Hostname">The file bind-mounted over /etc/hostname.</param>
/// <param name="HostnameValue">sethostname(2) in the pod's UTS namespace; null keeps the node's (hostNetwork pods share it).</param>
/// <param name="Volumes">The pod's volumes, bound last (their sources were prepared on the node).</param>
public sealed record PodFilesystem(string ResolvConf, string Hosts, string Hostname, string? HostnameValue, IReadOnlyList<VolumeBind> Volumes);

/// <summary>
/// The mount and UTS namespaces of a pod, held by a holder process as containerd's pause process holds a sandbox's:
/// <c>sleep infinity</c> shown as <c>pause</c>, started from a dedicated thread that unshared the namespaces and set
/// up the pod's files, so that containers join <c>/proc/&lt;holder&gt;/ns/{mnt,uts}</c>. Its PID and start time are
/// kept in <c>&lt;root-dir&gt;/pods/&lt;uid&gt;/ns/holder</c> for adoption after an agent restart.
/// Why not nsfs files bind-mounted like <c>ip netns</c>'s: Linux 6.18 refuses (EINVAL) to bind a new mount
/// namespace's file from inside a non-initial mount namespace, such as a lab node's, once namespaces have come and
/// gone (reproduced with util-linux <c>unshare --mount=FILE</c>; it works from the host's initial namespace).
/// </summary>
public static class PodNamespaces
{
    private const string HolderFile = "holder";

    /// <summary>The directories a pod gets a tmpfs of its own on; the rest of its filesystem is the node's.</summary>
    public static IReadOnlyList<string> PrivateDirectories { get; } = ["/run", "/tmp"];

    private const string HolderProgram = "/bin/sleep";

    // The holders this agent started, so that it reaps them; after a restart they are adopted and init reaps them.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SpawnedProcess> Holders = new();

    /// <summary>Creates the namespaces and their holder; returns the paths containers join.</summary>
    public static (string Mount, string Uts) Create(string nsDirectory, PodFilesystem files)
    {
        Directory.CreateDirectory(nsDirectory);

        // On a thread of its own, which unshares, sets up the pod's files and starts the holder from there.
        int pid;
        try
        {
            pid = Strata.Netlink.DedicatedThread.Run("pod namespaces", () =>
            {
                Unshare(files);
                return ProcessSpawner.SpawnHere(new SpawnRequest { Path = HolderProgram, ArgumentZero = "pause", Arguments = ["infinity"] });
            });
        }
        catch
        {
            Remove(nsDirectory);
            throw;
        }

        var holder = SpawnedProcess.Started(pid);
        Holders[nsDirectory] = holder;
        File.WriteAllText(Path.Combine(nsDirectory, HolderFile), $"{holder.Pid} {holder.StartTime}\n");
        return Paths(nsDirectory) ?? throw new SandboxException($"the namespace holder of {nsDirectory} exited at once");
    }

    /// <summary>
    /// The namespace files of a live holder, or null when it is gone (a reboot, a crash, a kill). A pod that keeps the
    /// node's hostname has a holder in the node's UTS namespace, so joining it changes nothing.
    /// </summary>
    public static (string Mount, string Uts)? Paths(string nsDirectory)
    {
        if (ReadHolder(nsDirectory) is not var (pid, startTime) || SpawnedProcess.ReadStartTime(pid) != startTime)
        {
            return null;
        }

        return ($"/proc/{pid}/ns/mnt", $"/proc/{pid}/ns/uts");
    }

    /// <summary>Ends the holder (the namespaces go with their last process) and removes the directory; nothing there is not an error.</summary>
    public static void Remove(string nsDirectory)
    {
        if (Holders.TryRemove(nsDirectory, out var holder))
        {
            holder.Signal(9);
            holder.WaitForExitAsync().Wait(TimeSpan.FromSeconds(10));
            holder.Dispose();
        }
        else if (ReadHolder(nsDirectory) is var (pid, startTime))
        {
            using var adopted = SpawnedProcess.Adopt(pid, startTime);
            adopted?.Signal(9);
        }

        if (Directory.Exists(nsDirectory))
        {
            Directory.Delete(nsDirectory, recursive: true);
        }
    }

    private static (int Pid, ulong StartTime)? ReadHolder(string nsDirectory)
    {
        string file = Path.Combine(nsDirectory, HolderFile);
        if (!File.Exists(file))
        {
            return null;
        }

        var parts = File.ReadAllText(file).Split(' ', StringSplitOptions.TrimEntries);
        return parts.Length == 2 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out int pid)
            && ulong.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out ulong start) ? (pid, start) : null;
    }

    private static void Bind(string source, string target)
    {
        if (mount(source, target, null, MS_BIND, null) != 0)
        {
            throw Interop.SandboxFailure($"bind-mount {source} on {target}");
        }
    }

    // On the dedicated thread: everything here changes only this thread's namespaces.
    private static void Unshare(PodFilesystem files)
    {
        int flags = CLONE_FS | CLONE_NEWNS | (files.HostnameValue is null ? 0 : CLONE_NEWUTS);
        if (unshare(flags) != 0)
        {
            throw Interop.SandboxFailure("unshare(CLONE_NEWNS|CLONE_NEWUTS)");
        }

        if (mount(null, "/", null, MS_REC | MS_PRIVATE, null) != 0)
        {
            throw Interop.SandboxFailure("make / rprivate in the pod's mount namespace");
        }

        // The /etc files first: their sources (under the root dir) may lie below /tmp or /run, which the tmpfs hide.
        // A target that is a symlink into /run (systemd-resolved) is bound after the tmpfs, on a file made there.
        var binds = new[] { (files.ResolvConf, "/etc/resolv.conf"), (files.Hosts, "/etc/hosts"), (files.Hostname, "/etc/hostname") };
        foreach (var (source, target) in binds.Where(b => new FileInfo(b.Item2).LinkTarget is null))
        {
            Bind(source, target);
        }

        // Volume sources are opened before the tmpfs hide them (a hostPath under /run), and bound from those descriptors.
        var sources = new Dictionary<string, SafeFileDescriptor>(StringComparer.Ordinal);
        try
        {
            foreach (var volume in files.Volumes.Where(v => !v.Tmpfs))
            {
                sources[volume.Target] = OpenPath(volume);
            }

            MountPrivateDirectories(binds);
            foreach (var volume in files.Volumes)
            {
                MountVolume(volume, sources.GetValueOrDefault(volume.Target));
            }
        }
        finally
        {
            foreach (var fd in sources.Values)
            {
                fd.Dispose();
            }
        }

        if (files.HostnameValue is { } hostname)
        {
            byte[] name = Encoding.ASCII.GetBytes(hostname);
            if (sethostname(name, (nuint)name.Length) != 0)
            {
                throw Interop.SandboxFailure($"sethostname {hostname}");
            }
        }
    }

    private static void MountPrivateDirectories((string Source, string Target)[] binds)
    {
        foreach (var (dir, mode) in PrivateDirectories.Select(d => (d, d == "/tmp" ? "mode=1777" : "mode=755")))
        {
            if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, mode) != 0)
            {
                throw Interop.SandboxFailure($"mount a tmpfs on {dir}");
            }
        }

        foreach (var (source, target) in binds.Where(b => new FileInfo(b.Item2).LinkTarget is not null))
        {
            BindThroughLink(source, target);
        }
    }

    private static SafeFileDescriptor OpenPath(VolumeBind volume) =>
        SafeFileDescriptor.FromResult(open(volume.Source, O_PATH | O_CLOEXEC, 0), $"open volume \"{volume.Volume}\" source {volume.Source}");

    private static void MountVolume(VolumeBind volume, SafeFileDescriptor? source)
    {
        bool directory = source is null || FileType($"/proc/thread-self/fd/{source.Fd}") == S_IFDIR;
        EnsureMountPoint(volume, directory);
        if (source is null)
        {
            // emptyDir medium Memory: a tmpfs of the pod's own (pkg/volume/emptydir, setupTmpfs).
            if (mount("tmpfs", volume.Target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
            {
                throw Interop.SandboxFailure($"mount a tmpfs on {volume.Target} for volume \"{volume.Volume}\"");
            }
        }
        else if (mount($"/proc/thread-self/fd/{source.Fd}", volume.Target, null, MS_BIND | MS_REC, null) != 0)
        {
            throw Interop.SandboxFailure($"bind-mount volume \"{volume.Volume}\" ({volume.Source}) on {volume.Target}");
        }

        if (volume.ReadOnly && mount(null, volume.Target, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null) != 0)
        {
            throw Interop.SandboxFailure($"remount volume \"{volume.Volume}\" read-only on {volume.Target}");
        }
    }

    // The pod sees the node's filesystem: a missing mount point is made only where the pod has its own tmpfs, never on the node.
    private static void EnsureMountPoint(VolumeBind volume, bool directory)
    {
        if (directory ? Directory.Exists(volume.Target) : File.Exists(volume.Target))
        {
            return;
        }

        // /var/run/secrets/... (the service account mount) lies under the pod's /run: /var/run is a link to it.
        string resolved = ResolveLinks(volume.Target);
        if (!PrivateDirectories.Any(d => resolved.StartsWith(d + "/", StringComparison.Ordinal)))
        {
            throw new VolumeMountException(volume.Volume,
                $"mount point {volume.Target} is not a {(directory ? "directory" : "file")} on the node; Strata's pods see the node's filesystem, so the kubelet makes mount points only under the pod's own /run and /tmp");
        }

        if (directory)
        {
            Directory.CreateDirectory(volume.Target);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(volume.Target)!);
            File.WriteAllBytes(volume.Target, []);
        }
    }

    // The path with every symlink among its existing ancestors replaced by its target (realpath, for the part that exists).
    private static string ResolveLinks(string path)
    {
        string current = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            for (int hops = 0; hops < 40 && new FileInfo(next).LinkTarget is { } link; hops++)
            {
                next = Path.GetFullPath(link, current);
            }

            current = next;
        }

        return current;
    }

    // /etc/resolv.conf may be a symlink into /run (systemd-resolved), which is an empty tmpfs here: make its target.
    private static void BindThroughLink(string source, string target)
    {
        string resolved = Path.GetFullPath(new FileInfo(target).LinkTarget!, Path.GetDirectoryName(target)!);
        if (!File.Exists(resolved))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(resolved)!);
            File.WriteAllBytes(resolved, []);
        }

        Bind(source, resolved);
    }
}
