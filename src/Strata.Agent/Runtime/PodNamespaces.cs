using System.Text;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>What the pod's own mount namespace shows: its files over /etc, its hostname, and private /run and /tmp.</summary>
/// <param name="ResolvConf">The file bind-mounted over /etc/resolv.conf.</param>
/// <param name="Hosts">The file bind-mounted over /etc/hosts.</param>
/// <param name="Hostname">The file bind-mounted over /etc/hostname.</param>
/// <param name="HostnameValue">sethostname(2) in the pod's UTS namespace; null keeps the node's (hostNetwork pods share it).</param>
public sealed record PodFilesystem(string ResolvConf, string Hosts, string Hostname, string? HostnameValue);

/// <summary>
/// The persistent mount and UTS namespaces of a pod, kept alive as nsfs files bind-mounted under
/// <c>&lt;root-dir&gt;/pods/&lt;uid&gt;/ns/</c> (as <c>ip netns</c> keeps a netns): containers are started into them.
/// They are made on a dedicated thread that unshares (never a pool thread) and then ends; another thread binds
/// its namespace files before it does. The directory is a private bind mount of itself, since an nsfs file of a
/// mount namespace may not be bound into a shared mount (the kernel refuses a possible loop with EINVAL).
/// </summary>
public static class PodNamespaces
{
    public const string MountFile = "mnt";
    public const string UtsFile = "uts";

    // One pod's namespaces at a time: a mount namespace copied while another pod's is being bound (its mounts are
    // still peers of the node's until it makes them private) made the nsfs bind fail with EINVAL in a lab node,
    // whose mounts are shared with the host's.
    private static readonly Lock CreateLock = new();

    /// <summary>Creates the namespaces; returns the paths of their files (Uts null when the pod keeps the node's).</summary>
    public static (string Mount, string? Uts) Create(string nsDirectory, PodFilesystem files)
    {
        lock (CreateLock)
        {
            // In a lab node the nsfs bind is sometimes refused (EINVAL) for a moment after the agent starts, while the
            // lab is still changing the node's mounts; a new attempt a moment later succeeds.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return CreateLocked(nsDirectory, files);
                }
                catch (SandboxException e) when (e.Errno == EINVAL && attempt < BindAttempts)
                {
                    Thread.Sleep(100 * attempt);
                }
            }
        }
    }

    private const int EINVAL = 22;
    private const int BindAttempts = 8;

    private static (string Mount, string? Uts) CreateLocked(string nsDirectory, PodFilesystem files)
    {
        Directory.CreateDirectory(nsDirectory);
        MakePrivateMountPoint(nsDirectory);
        string mountFile = Path.Combine(nsDirectory, MountFile);
        string? utsFile = files.HostnameValue is null ? null : Path.Combine(nsDirectory, UtsFile);
        foreach (var file in new[] { mountFile, utsFile }.OfType<string>())
        {
            File.WriteAllBytes(file, []);
        }

        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bound = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            try
            {
                Unshare(files);
                ready.SetResult(gettid());
            }
            catch (Exception e)
            {
                ready.TrySetException(e);
                return;
            }

            // Stay alive, in the namespaces, until they are bound; the thread then ends and so leaves them.
            bound.Wait();
        })
        {
            IsBackground = true,
            Name = "pod namespaces",
        };
        thread.Start();
        try
        {
            int tid = ready.Task.GetAwaiter().GetResult();
            string task = $"/proc/{Environment.ProcessId}/task/{tid}/ns";
            Bind(Path.Combine(task, "mnt"), mountFile);
            if (utsFile is not null)
            {
                Bind(Path.Combine(task, "uts"), utsFile);
            }
        }
        catch
        {
            Remove(nsDirectory);
            throw;
        }
        finally
        {
            bound.Set();
            thread.Join();
        }

        return (mountFile, utsFile);
    }

    /// <summary>Unmounts and removes the namespace files and the directory; nothing there is not an error.</summary>
    public static void Remove(string nsDirectory)
    {
        if (!Directory.Exists(nsDirectory))
        {
            return;
        }

        foreach (var name in new[] { MountFile, UtsFile })
        {
            string file = Path.Combine(nsDirectory, name);
            if (File.Exists(file))
            {
                umount2(file, MNT_DETACH);
                File.Delete(file);
            }
        }

        while (umount2(nsDirectory, MNT_DETACH) == 0)
        {
            // the directory's own bind mount(s)
        }

        Directory.Delete(nsDirectory, recursive: true);
    }

    private static void MakePrivateMountPoint(string directory)
    {
        if (mount(directory, directory, null, MS_BIND, null) != 0)
        {
            throw Interop.SandboxFailure($"bind-mount {directory} on itself");
        }

        if (mount(null, directory, null, MS_PRIVATE, null) != 0)
        {
            throw Interop.SandboxFailure($"make {directory} a private mount");
        }
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

        foreach (var (dir, mode) in new[] { ("/run", "mode=755"), ("/tmp", "mode=1777") })
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

        if (files.HostnameValue is { } hostname)
        {
            byte[] name = Encoding.ASCII.GetBytes(hostname);
            if (sethostname(name, (nuint)name.Length) != 0)
            {
                throw Interop.SandboxFailure($"sethostname {hostname}");
            }
        }
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
