using System.Runtime.InteropServices;

namespace Strata.Cni;

/// <summary>An open namespace file (<c>/run/netns/NAME</c>, <c>/proc/PID/ns/net</c>, <c>/proc/PID/ns/mnt</c>), closed exactly once.</summary>
internal sealed class SafeNamespaceHandle : SafeHandle
{
    public SafeNamespaceHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    /// <summary>open(path, O_RDONLY | O_CLOEXEC); errors become one exception naming the path and what it was for.</summary>
    public static SafeNamespaceHandle Open(string path, string what)
    {
        int fd = Interop.Libc.open(path, Interop.Libc.O_RDONLY | Interop.Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new CniConfigException($"cannot open the {what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}", 8);
        }

        var handle = new SafeNamespaceHandle();
        Marshal.InitHandle(handle, fd);
        return handle;
    }

    protected override bool ReleaseHandle() => Interop.Libc.close(handle) == 0;
}
