using System.Runtime.InteropServices;

namespace Strata.Agent.Runtime;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Library, EntryPoint = "sethostname", SetLastError = true)]
        public static partial int sethostname(byte[] name, nuint len);
    }
}
