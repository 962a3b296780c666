using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <linux/if_tun.h>
        internal const uint TUNSETIFF = 0x400454ca;
        internal const uint TUNSETPERSIST = 0x400454cb;
        internal const short IFF_TUN = 0x0001;
        internal const short IFF_TAP = 0x0002;
        internal const short IFF_NO_PI = 0x1000;
        internal const short IFF_VNET_HDR = 0x4000;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static unsafe partial int ioctl(SafeTunHandle fd, nuint request, void* arg);

        [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
        internal static partial int ioctl(SafeTunHandle fd, nuint request, nint arg);
    }
}
