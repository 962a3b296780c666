using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using static Strata.Cni.Interop.Libc;

namespace Strata.Cni;

/// <summary>
/// Runs code on a dedicated thread switched into a network namespace and, optionally, a mount
/// namespace. A process forked from that thread starts in those namespaces, which is how plugins
/// are run "on" a lab node. setns(2) for a mount namespace needs a thread that does not share its
/// filesystem attributes, so the thread first unshares CLONE_FS; it is never returned to a pool
/// and switches back before it ends (conventions.md, rule 5).
/// </summary>
internal static class NamespaceThread
{
    public const string NetnsDirectory = "/run/netns";

    /// <summary>A name under /run/netns, or a path (/proc/PID/ns/net) as it is.</summary>
    public static string NetnsPath(string nameOrPath) => nameOrPath.Contains('/') ? nameOrPath : Path.Combine(NetnsDirectory, nameOrPath);

    public static T Run<T>(string? netns, string? mountns, Func<T> action)
    {
        if (netns is null && mountns is null)
        {
            return action();
        }

        // Opened here, so the paths are resolved in the caller's mount namespace.
        using var net = netns is null ? null : SafeNamespaceHandle.Open(NetnsPath(netns), "host network namespace");
        using var mnt = mountns is null ? null : SafeNamespaceHandle.Open(mountns, "host mount namespace");

        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = RunSwitched(net, mnt, action);
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = "cni host ns",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    private static T RunSwitched<T>(SafeNamespaceHandle? net, SafeNamespaceHandle? mnt, Func<T> action)
    {
        using var originalNet = net is null ? null : SafeNamespaceHandle.Open("/proc/thread-self/ns/net", "current network namespace");
        using var originalMnt = mnt is null ? null : SafeNamespaceHandle.Open("/proc/thread-self/ns/mnt", "current mount namespace");
        if (mnt is not null)
        {
            if (unshare(CLONE_FS) != 0)
            {
                throw Failure("unshare(CLONE_FS)");
            }

            Switch(mnt, CLONE_NEWNS, "mount");
        }

        try
        {
            if (net is not null)
            {
                Switch(net, CLONE_NEWNET, "network");
            }

            try
            {
                return action();
            }
            finally
            {
                if (originalNet is not null)
                {
                    Switch(originalNet, CLONE_NEWNET, "network");
                }
            }
        }
        finally
        {
            if (originalMnt is not null)
            {
                Switch(originalMnt, CLONE_NEWNS, "mount");
            }
        }
    }

    private static void Switch(SafeNamespaceHandle handle, int type, string what)
    {
        if (setns(handle, type) != 0)
        {
            throw Failure($"setns into the {what} namespace");
        }
    }

    private static CniConfigException Failure(string call) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}", 8);
}
