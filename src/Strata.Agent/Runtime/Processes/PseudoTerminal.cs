using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>A pseudo-terminal pair for <c>kubectl exec -t</c>: the agent keeps the master; the child opens the slave.</summary>
public sealed class PseudoTerminal : IDisposable
{
    private readonly SafeFileDescriptor _master;

    private PseudoTerminal(SafeFileDescriptor master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
        Master = new SafeFileHandle(master.DangerousGetHandle(), ownsHandle: false);
    }

    /// <summary>The master side, for reading the child's output and writing its input.</summary>
    public SafeFileHandle Master { get; }

    /// <summary>/dev/pts/N.</summary>
    public string SlavePath { get; }

    public static unsafe PseudoTerminal Open()
    {
        var master = SafeFileDescriptor.FromResult(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), "posix_openpt");
        try
        {
            if (grantpt(master) != 0)
            {
                throw Errors.Last("grantpt");
            }

            if (unlockpt(master) != 0)
            {
                throw Errors.Last("unlockpt");
            }

            var buffer = stackalloc byte[128];
            int error = ptsname_r(master, buffer, 128);
            if (error != 0)
            {
                throw Errors.For(error, "ptsname_r");
            }

            return new PseudoTerminal(master, Marshal.PtrToStringUTF8((nint)buffer) ?? throw new InvalidOperationException("ptsname_r returned no name"));
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>TIOCSWINSZ: the child sees SIGWINCH and the new size.</summary>
    public unsafe void Resize(ushort columns, ushort rows)
    {
        var size = new WinSize { Columns = columns, Rows = rows };
        if (ioctl(_master, TIOCSWINSZ, &size) != 0)
        {
            throw Errors.Last("ioctl TIOCSWINSZ");
        }
    }

    public void Dispose()
    {
        Master.Dispose();
        _master.Dispose();
    }

    public override string ToString() => $"pty {SlavePath}";
}
