using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <sys/mount.h>
        internal const ulong MS_BIND = 4096;
        internal const ulong MS_REC = 16384;
        internal const ulong MS_PRIVATE = 1 << 18;
        internal const int MNT_DETACH = 2;

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int mount(string? source, string target, string? fstype, ulong flags, nint data);

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int umount2(string target, int flags);
    }
}
