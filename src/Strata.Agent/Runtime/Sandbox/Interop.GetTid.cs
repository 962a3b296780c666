using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Libraries.Libc, EntryPoint = "gettid")]
        public static partial int gettid();
    }
}
