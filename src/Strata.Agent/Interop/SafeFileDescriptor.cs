using System.Runtime.InteropServices;

namespace Strata.Agent;

/// <summary>A file descriptor the agent owns (a namespace file, a pidfd, an epoll instance, a pty master), closed exactly once.</summary>
public sealed class SafeFileDescriptor : SafeHandle
{
    public SafeFileDescriptor() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle < 0;

    internal int Fd => (int)handle;

    /// <summary>Takes ownership of a descriptor a call returned as a C int, or throws naming the call and errno.</summary>
    internal static SafeFileDescriptor FromResult(int fd, string call)
    {
        if (fd < 0)
        {
            throw Errors.Last(call);
        }

        var safe = new SafeFileDescriptor();
        Marshal.InitHandle(safe, fd);
        return safe;
    }

    /// <summary>open(path, O_RDONLY | O_CLOEXEC).</summary>
    internal static SafeFileDescriptor Open(string path, string what) =>
        FromResult(Interop.Libc.open(path, Interop.Libc.O_RDONLY | Interop.Libc.O_CLOEXEC, 0), $"open {what} {path}");

    protected override bool ReleaseHandle() => Interop.Libc.close(handle) == 0;
}
