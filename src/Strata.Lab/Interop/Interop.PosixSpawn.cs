using System.Runtime.InteropServices;

namespace Strata.Lab;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // <spawn.h> (glibc)
        internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
        internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
        internal const short POSIX_SPAWN_SETSID = 0x80;

        /// <summary>Generous upper bounds of glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128).</summary>
        internal const int OpaqueSize = 1024;

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn(out int pid, nint path, nint fileActions, nint attributes, nint argv, nint envp);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnp(out int pid, nint file, nint fileActions, nint attributes, nint argv, nint envp);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_init(nint fileActions);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_destroy(nint fileActions);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_adddup2(nint fileActions, int fd, int newFd);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_init(nint attributes);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_destroy(nint attributes);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setflags(nint attributes, short flags);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setsigdefault(nint attributes, nint signals);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setsigmask(nint attributes, nint signals);

        [LibraryImport(Libraries.Libc)]
        internal static partial int sigfillset(nint set);

        [LibraryImport(Libraries.Libc)]
        internal static partial int sigemptyset(nint set);
    }
}
