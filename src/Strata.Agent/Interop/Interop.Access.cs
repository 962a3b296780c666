using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <unistd.h>
        internal const int X_OK = 1;

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int access(string path, int mode);
    }
}
