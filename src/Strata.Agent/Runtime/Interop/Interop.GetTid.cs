using System.Runtime.InteropServices;

namespace Strata.Agent.Runtime;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Library, EntryPoint = "gettid")]
        public static partial int gettid();
    }
}
