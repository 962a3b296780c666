using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const short POLLIN = 0x001;

        [StructLayout(LayoutKind.Sequential)]
        internal struct pollfd
        {
            internal int fd;
            internal short events;
            internal short revents;
        }

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial int poll(pollfd* fds, nuint nfds, int timeout);
    }
}
