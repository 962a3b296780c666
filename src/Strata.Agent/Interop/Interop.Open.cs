using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <fcntl.h>
        internal const int O_RDONLY = 0;
        internal const int O_RDWR = 2;
        internal const int O_NOCTTY = 0x100;
        internal const int O_CLOEXEC = 0x80000;
        internal const int O_PATH = 0x200000;

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags, int mode);
    }
}
