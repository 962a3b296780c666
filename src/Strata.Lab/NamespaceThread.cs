using static Strata.Lab.Interop.Libc;

namespace Strata.Lab;

/// <summary>
/// Runs code on a dedicated thread switched into a network namespace and, optionally, a mount
/// namespace; a process spawned from that thread starts in them. setns(2) into a mount namespace
/// needs a thread that does not share its filesystem attributes, so the thread unshares CLONE_FS
/// first. It is never a pool thread, and switches back in finally (conventions.md, rule 5).
/// </summary>
internal static class NamespaceThread
{
    public static T Run<T>(string? netnsPath, string? mountNamespacePath, Func<T> action)
    {
        // Opened on the caller's thread, so the paths resolve in the host's mount namespace.
        using var net = netnsPath is null ? null : SafeNamespaceHandle.Open(netnsPath);
        using var mnt = mountNamespacePath is null ? null : SafeNamespaceHandle.Open(mountNamespacePath);
        return Strata.Netlink.DedicatedThread.Run("lab ns", () =>
        {
            using var originalNet = net is null ? null : SafeNamespaceHandle.Open("/proc/thread-self/ns/net");
            using var originalMnt = mnt is null ? null : SafeNamespaceHandle.Open("/proc/thread-self/ns/mnt");
            if (mnt is not null)
            {
                Check(unshare(CLONE_FS), "unshare(CLONE_FS)");
                Check(setns(mnt, CLONE_NEWNS), $"setns into the mount namespace {mountNamespacePath}");
            }

            try
            {
                if (net is not null)
                {
                    Check(setns(net, CLONE_NEWNET), $"setns into the network namespace {netnsPath}");
                }

                try
                {
                    return action();
                }
                finally
                {
                    if (originalNet is not null)
                    {
                        Check(setns(originalNet, CLONE_NEWNET), "setns back into the host network namespace");
                    }
                }
            }
            finally
            {
                if (originalMnt is not null)
                {
                    Check(setns(originalMnt, CLONE_NEWNS), "setns back into the host mount namespace");
                }
            }
        });
    }

    internal static void Check(int rc, string call)
    {
        if (rc != 0)
        {
            throw LabSystemException.FromErrno(call);
        }
    }
}
