using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int waitpid(int pid, out int status, int options);
    }
}
