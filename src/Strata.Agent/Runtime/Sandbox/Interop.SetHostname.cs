using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "sethostname", SetLastError = true)]
        public static partial int sethostname(byte[] name, nuint len);
    }
}
