using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int MSG_DONTWAIT = 0x40;
        internal const int MSG_PEEK = 0x02;
        internal const int MSG_TRUNC = 0x20;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial nint send(SafeNetlinkSocketHandle fd, byte* buf, nuint len, int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial nint recv(SafeNetlinkSocketHandle fd, byte* buf, nuint len, int flags);
    }
}
