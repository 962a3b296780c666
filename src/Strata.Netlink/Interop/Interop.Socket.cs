using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <bits/socket.h>
        internal const int AF_UNSPEC = 0;
        internal const int AF_INET = 2;
        internal const int AF_BRIDGE = 7;
        internal const int AF_NETLINK = 16;
        internal const int AF_INET6 = 10;
        internal const int SOCK_RAW = 3;
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int SOL_SOCKET = 1;
        internal const int SO_SNDBUF = 7;
        internal const int SO_RCVBUF = 8;
        internal const int SO_SNDBUFFORCE = 32;
        internal const int SO_RCVBUFFORCE = 33;
        internal const int SOL_NETLINK = 270;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial int setsockopt(SafeNetlinkSocketHandle fd, int level, int optname, void* optval, uint optlen);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial int bind(SafeNetlinkSocketHandle fd, void* addr, uint addrlen);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial int getsockname(SafeNetlinkSocketHandle fd, void* addr, uint* addrlen);
    }
}
