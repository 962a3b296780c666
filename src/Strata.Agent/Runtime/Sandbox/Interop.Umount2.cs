using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        public const int MNT_DETACH = 2;

        [LibraryImport(Libraries.Libc, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int umount2(string target, int flags);
    }
}
