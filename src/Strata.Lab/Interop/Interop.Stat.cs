using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int stat(string path, Span<byte> buffer);

        /// <summary>st_ino of what <paramref name="path"/> resolves to (struct stat: st_dev then st_ino, 8 bytes each on x86_64 and arm64); null if it cannot be stat'ed.</summary>
        internal static ulong? Inode(string path)
        {
            Span<byte> buffer = stackalloc byte[256];
            return stat(path, buffer) == 0 ? BinaryPrimitives.ReadUInt64LittleEndian(buffer[8..]) : null;
        }
    }
}
