using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <fcntl.h>, <linux/stat.h>: statx(2) has one layout on every architecture, unlike struct stat.
        internal const int AT_FDCWD = -100;
        internal const uint STATX_TYPE = 0x1;
        internal const int StatxSize = 256;
        internal const int StatxModeOffset = 0x1C;

        // <sys/stat.h>
        internal const int S_IFMT = 0xF000;
        internal const int S_IFSOCK = 0xC000;
        internal const int S_IFREG = 0x8000;
        internal const int S_IFBLK = 0x6000;
        internal const int S_IFDIR = 0x4000;
        internal const int S_IFCHR = 0x2000;

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

        /// <summary>The S_IFMT bits of <paramref name="path"/> (symlinks followed), or null when it does not exist.</summary>
        internal static unsafe int? FileType(string path)
        {
            byte* buffer = stackalloc byte[StatxSize];
            if (statx(AT_FDCWD, path, 0, STATX_TYPE, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno is 2 or 20 ? null : throw Errors.For(errno, $"statx {path}"); // ENOENT, ENOTDIR
            }

            return *(ushort*)(buffer + StatxModeOffset) & S_IFMT;
        }
    }
}
