using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <linux/sched.h>
        internal const int CLONE_NEWNET = 0x40000000;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setns(SafeNetNsHandle fd, int nstype);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int unshare(int flags);
    }
}
