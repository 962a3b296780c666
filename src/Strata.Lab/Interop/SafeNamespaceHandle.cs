using System.Runtime.InteropServices;

namespace Strata.Lab;

/// <summary>An open namespace file (<c>/run/netns/NAME</c>, a persistent mount-namespace file, <c>/proc/thread-self/ns/mnt</c>), closed exactly once.</summary>
internal sealed class SafeNamespaceHandle : SafeHandle
{
    public SafeNamespaceHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    internal int Fd => (int)handle;

    public static SafeNamespaceHandle Open(string path)
    {
        int fd = Interop.Libc.open(path, Interop.Libc.O_RDONLY | Interop.Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LabSystemException.FromErrno($"open {path}");
        }

        var handle = new SafeNamespaceHandle();
        Marshal.InitHandle(handle, fd);
        return handle;
    }

    protected override bool ReleaseHandle() => Interop.Libc.close(handle) == 0;
}
