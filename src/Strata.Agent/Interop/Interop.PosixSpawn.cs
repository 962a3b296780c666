using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static unsafe partial class Libc
    {
        // <spawn.h> (glibc): flags of posix_spawnattr_setflags.
        internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
        internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
        internal const short POSIX_SPAWN_SETSID = 0x80;

        // glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86_64 and arm64;
        // sigset_t is 128. Allocated with room to spare, since they are opaque.
        internal const int SpawnFileActionsSize = 256;
        internal const int SpawnAttrSize = 512;
        internal const int SigSetSize = 128;

        // posix_spawn and its helpers return an error number instead of setting errno.
        [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int posix_spawn(out int pid, string path, void* fileActions, void* attr, byte** argv, byte** envp);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_init(void* fileActions);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_destroy(void* fileActions);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

        [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, string path, int flags, int mode);

        // glibc 2.29+: chdir in the child, after the file actions before it (so after setns into the mount namespace).
        [LibraryImport(Libraries.Libc, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, string path);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_init(void* attr);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_destroy(void* attr);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setflags(void* attr, short flags);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

        [LibraryImport(Libraries.Libc)]
        internal static partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

        [LibraryImport(Libraries.Libc)]
        internal static partial int sigemptyset(void* set);

        [LibraryImport(Libraries.Libc)]
        internal static partial int sigfillset(void* set);
    }
}
