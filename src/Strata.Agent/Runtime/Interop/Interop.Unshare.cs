using System.Runtime.InteropServices;

namespace Strata.Agent.Runtime;

internal static partial class Interop
{
    internal static partial class Libc
    {
        public const int CLONE_FS = 0x00000200;
        public const int CLONE_NEWNS = 0x00020000;
        public const int CLONE_NEWUTS = 0x04000000;

        [LibraryImport(Library, EntryPoint = "unshare", SetLastError = true)]
        public static partial int unshare(int flags);
    }
}
