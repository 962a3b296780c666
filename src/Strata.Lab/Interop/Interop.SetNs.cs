using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sched.h>
        internal const int CLONE_FS = 0x00000200;
        internal const int CLONE_NEWNS = 0x00020000;
        internal const int CLONE_NEWNET = 0x40000000;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int setns(SafeNamespaceHandle fd, int nstype);
    }
}
