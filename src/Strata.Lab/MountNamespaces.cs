using System.Runtime.InteropServices;
using static Strata.Lab.Interop.Libc;

namespace Strata.Lab;

/// <summary>
/// Persistent per-node mount namespaces, as util-linux <c>unshare --mount=FILE</c> makes them:
/// the namespace is bind-mounted on a file whose directory is a private bind mount of itself (so
/// the bind does not propagate into the new namespace, which the kernel refuses as a loop).
/// Done in-process rather than with util-linux: one dedicated thread unshares, sets propagation
/// private and makes the bind mounts, keeps an fd of its new namespace, switches back, and binds
/// that fd onto the file. There is no helper process to wait for or leave behind, and each step's
/// error names the exact call and path.
/// </summary>
internal static class MountNamespaces
{
    /// <summary>Makes <paramref name="directory"/> a private bind mount of itself (idempotent: skipped when it already is a mount point).</summary>
    public static void MakePrivateMountPoint(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!IsMountPoint(directory))
        {
            NamespaceThread.Check(mount(directory, directory, null, MS_BIND, 0), $"mount --bind {directory} {directory}");
        }

        NamespaceThread.Check(mount(null, directory, null, MS_PRIVATE, 0), $"mount --make-private {directory}");
    }

    /// <summary>Creates a mount namespace with <paramref name="mounts"/> bound inside and pins it on <paramref name="file"/>.</summary>
    public static void Create(string file, IReadOnlyList<NodeMount> mounts)
    {
        if (!File.Exists(file))
        {
            File.WriteAllBytes(file, []);
        }

        Strata.Netlink.DedicatedThread.Run("lab mntns", () =>
        {
            using var original = SafeNamespaceHandle.Open("/proc/thread-self/ns/mnt");
            NamespaceThread.Check(unshare(CLONE_FS), "unshare(CLONE_FS)");
            SafeNamespaceHandle created;
            NamespaceThread.Check(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
            try
            {
                NamespaceThread.Check(mount(null, "/", null, MS_REC | MS_PRIVATE, 0), "mount --make-rprivate / (in the node's mount namespace)");
                foreach (var m in mounts)
                {
                    NamespaceThread.Check(mount(m.Source, m.Target, null, MS_BIND, 0), $"mount --bind {m.Source} {m.Target} (in the node's mount namespace)");
                }

                created = SafeNamespaceHandle.Open("/proc/thread-self/ns/mnt");
            }
            finally
            {
                NamespaceThread.Check(setns(original, CLONE_NEWNS), "setns back into the host mount namespace");
            }

            using (created)
            {
                NamespaceThread.Check(mount($"/proc/self/fd/{created.Fd}", file, null, MS_BIND, 0), $"mount --bind <mount namespace> {file}");
            }

            return 0;
        });
    }

    /// <summary>umount -l; true when something was unmounted, false when it was not a mount point.</summary>
    public static bool Unmount(string path)
    {
        if (umount2(path, MNT_DETACH) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno is 22 or 2 ? false : throw LabSystemException.FromErrno($"umount -l {path}", errno); // EINVAL: not a mount point; ENOENT
    }

    /// <summary>Mount points of this process's mount namespace at or under <paramref name="directory"/>, from /proc/self/mountinfo.</summary>
    public static IReadOnlyList<string> MountsUnder(string directory)
    {
        string prefix = Path.TrimEndingDirectorySeparator(directory);
        var result = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }

            string point = Unescape(fields[4]);
            if (point == prefix || point.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                result.Add(point);
            }
        }

        return result;
    }

    public static bool IsMountPoint(string path) => MountsUnder(path).Contains(Path.TrimEndingDirectorySeparator(path));

    private static string Unescape(string field) =>
        field.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
