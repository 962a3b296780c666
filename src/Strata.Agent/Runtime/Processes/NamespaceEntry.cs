using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>
/// Runs code on a dedicated thread that has joined the given namespaces, so that a process it forks starts in them.
/// setns(2) into a mount namespace needs a thread that shares no filesystem attributes, hence unshare(CLONE_FS)
/// first; the thread never returns to a pool and switches back before it ends (conventions.md, rule 5).
/// </summary>
internal static class NamespaceEntry
{
    public static T Run<T>(NamespacePaths namespaces, Func<T> action)
    {
        if (namespaces.Net is null && namespaces.Mount is null && namespaces.Uts is null)
        {
            return action();
        }

        // Opened on the caller's thread, so the paths resolve in the caller's mount namespace.
        using var net = namespaces.Net is null ? null : SafeFileDescriptor.Open(namespaces.Net, "network namespace");
        using var mnt = namespaces.Mount is null ? null : SafeFileDescriptor.Open(namespaces.Mount, "mount namespace");
        using var uts = namespaces.Uts is null ? null : SafeFileDescriptor.Open(namespaces.Uts, "UTS namespace");

        return Strata.Netlink.DedicatedThread.Run("strata ns entry", () => RunSwitched(net, mnt, uts, action));
    }

    private static T RunSwitched<T>(SafeFileDescriptor? net, SafeFileDescriptor? mnt, SafeFileDescriptor? uts, Func<T> action)
    {
        using var originalNet = net is null ? null : SafeFileDescriptor.Open("/proc/thread-self/ns/net", "network namespace");
        using var originalMnt = mnt is null ? null : SafeFileDescriptor.Open("/proc/thread-self/ns/mnt", "mount namespace");
        using var originalUts = uts is null ? null : SafeFileDescriptor.Open("/proc/thread-self/ns/uts", "UTS namespace");
        if (mnt is not null && unshare(CLONE_FS) != 0)
        {
            throw Errors.Last("unshare(CLONE_FS)");
        }

        try
        {
            Switch(mnt, CLONE_NEWNS, "mount");
            Switch(uts, CLONE_NEWUTS, "UTS");
            Switch(net, CLONE_NEWNET, "network");
            return action();
        }
        finally
        {
            Switch(originalNet, CLONE_NEWNET, "network");
            Switch(originalUts, CLONE_NEWUTS, "UTS");
            Switch(originalMnt, CLONE_NEWNS, "mount");
        }
    }

    private static void Switch(SafeFileDescriptor? target, int type, string what)
    {
        if (target is not null && setns(target, type) != 0)
        {
            throw Errors.Last($"setns into the {what} namespace");
        }
    }
}
