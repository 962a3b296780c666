using System.Runtime.InteropServices;

namespace Strata.Cni;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <fcntl.h>
        internal const int O_RDONLY = 0;
        internal const int O_CLOEXEC = 0x80000;

        // A C int: wrapped by SafeNamespaceHandle.Open, since marshalling it straight into a SafeHandle
        // would read -1 as a valid pointer-sized handle.
        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags, int mode);
    }
}
