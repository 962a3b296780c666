using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static unsafe partial class Libc
    {
        // <asm/unistd_64.h> (x86_64 and the generic table share these numbers).
        internal const long SYS_pidfd_send_signal = 424;
        internal const long SYS_pidfd_open = 434;

        // <sys/wait.h>, <linux/wait.h>
        internal const int P_PIDFD = 3;
        internal const int WEXITED = 4;

        // <asm-generic/siginfo.h>: si_code of SIGCHLD.
        internal const int CLD_EXITED = 1;

        /// <summary>siginfo_t for SIGCHLD on 64-bit Linux: the union starts at offset 16 (128 bytes in all).</summary>
        [StructLayout(LayoutKind.Explicit, Size = 128)]
        internal struct SigInfo
        {
            [FieldOffset(0)] public int Signo;
            [FieldOffset(8)] public int Code;
            [FieldOffset(16)] public int Pid;
            [FieldOffset(24)] public int Status;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial int pidfd_open(long number, int pid, uint flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        internal static partial int pidfd_send_signal(long number, SafeFileDescriptor pidfd, int signal, void* info, uint flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int waitid(int idType, int id, SigInfo* info, int options);
    }
}
