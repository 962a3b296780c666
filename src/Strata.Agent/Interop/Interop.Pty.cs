using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static unsafe partial class Libc
    {
        // <asm-generic/ioctls.h>
        internal const ulong TIOCSWINSZ = 0x5414;

        [StructLayout(LayoutKind.Sequential)]
        internal struct WinSize
        {
            public ushort Rows;
            public ushort Columns;
            public ushort XPixels;
            public ushort YPixels;
        }

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int posix_openpt(int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int grantpt(SafeFileDescriptor fd);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int unlockpt(SafeFileDescriptor fd);

        // Returns an error number.
        [LibraryImport(Libraries.Libc)]
        internal static partial int ptsname_r(SafeFileDescriptor fd, byte* buffer, nuint length);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int ioctl(SafeFileDescriptor fd, ulong request, WinSize* size);
    }
}
