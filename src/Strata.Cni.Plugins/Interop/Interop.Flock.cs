using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Strata.Cni.Plugins;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/file.h>
        internal const int LOCK_EX = 2;
        internal const int LOCK_UN = 8;

        // <errno.h>
        internal const int EINTR = 4;

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int flock(SafeFileHandle fd, int operation);
    }
}
