using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int SIGKILL = 9;
        internal const int SIGTERM = 15;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
