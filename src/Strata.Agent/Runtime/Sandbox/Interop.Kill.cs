using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>kill(2); a negative pid names a process group.</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "kill", SetLastError = true)]
        public static partial int kill(int pid, int sig);
    }
}
