using System.Runtime.InteropServices;

namespace Strata.Netlink;

/// <summary>A file descriptor owned by Strata; closed exactly once, on dispose or finalization.</summary>
public abstract class SafeFileDescriptor : SafeHandle
{
    protected SafeFileDescriptor() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    /// <summary>The raw descriptor, for code that must hand it to the kernel inside a netlink message.</summary>
    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Interop.Libc.close(handle) == 0;

    /// <summary>Takes ownership of a descriptor returned as a C int; null (with errno) if the call failed.</summary>
    internal static T? Wrap<T>(int fd, out int errno) where T : SafeFileDescriptor, new()
    {
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (fd < 0)
        {
            return null;
        }

        var safe = new T();
        Marshal.InitHandle(safe, fd);
        return safe;
    }
}

/// <summary>An <c>AF_NETLINK</c> socket.</summary>
public sealed class SafeNetlinkSocketHandle : SafeFileDescriptor
{
}

/// <summary>An open network namespace (a <c>/proc/&lt;pid&gt;/ns/net</c> or <c>/run/netns/&lt;name&gt;</c> file).</summary>
public sealed class SafeNetNsHandle : SafeFileDescriptor
{
}

/// <summary>An open <c>/dev/net/tun</c> queue bound to one tun or tap device.</summary>
public sealed class SafeTunHandle : SafeFileDescriptor
{
}
