using System.Runtime.InteropServices;

namespace Strata.Agent;

internal static partial class Interop
{
    internal static unsafe partial class Libc
    {
        // <sys/epoll.h>
        internal const int EPOLL_CLOEXEC = 0x80000;
        internal const int EPOLL_CTL_ADD = 1;
        internal const uint EPOLLIN = 0x001;

        /// <summary>struct epoll_event is packed on x86_64 (12 bytes); other architectures lay it out in 16, which this does not handle.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        internal struct EpollEvent
        {
            public uint Events;
            public ulong Data;
        }

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int epoll_create1(int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int epoll_ctl(SafeFileDescriptor epfd, int op, int fd, EpollEvent* ev);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int epoll_wait(SafeFileDescriptor epfd, EpollEvent* events, int maxEvents, int timeout);
    }
}
