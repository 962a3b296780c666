using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        public const ulong MS_RDONLY = 0x1;
        public const ulong MS_NOSUID = 0x2;
        public const ulong MS_NODEV = 0x4;
        public const ulong MS_REMOUNT = 0x20;
        public const ulong MS_BIND = 0x1000;
        public const ulong MS_REC = 0x4000;
        public const ulong MS_PRIVATE = 1 << 18;

        [LibraryImport(Libraries.Libc, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int mount(string? source, string target, string? filesystemtype, ulong mountflags, string? data);
    }
}
