using System.Runtime.InteropServices;

namespace Strata.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <fcntl.h>
        internal const int O_RDONLY = 0;
        internal const int O_RDWR = 2;
        internal const int O_CREAT = 0x40;
        internal const int O_EXCL = 0x80;
        internal const int O_CLOEXEC = 0x80000;

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeNetNsHandle OpenNetNs(string path, int flags, int mode);

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeTunHandle OpenTun(string path, int flags, int mode);

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int OpenRaw(string path, int flags, int mode);
    }
}
