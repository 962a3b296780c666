using System.Runtime.InteropServices;
using Strata.Netlink;

namespace Strata.Flannel.Interop;

/// <summary>
/// read/write/poll on the TUN queue (one IP packet, or one TCP super-packet with offloads, per call) and recvmmsg/sendmmsg on the UDP socket,
/// which move a whole batch of datagrams in one system call.
/// </summary>
internal static partial class Libc
{
    public const short POLLIN = 0x001;
    public const int EAGAIN = 11;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;
    public const int MSG_DONTWAIT = 0x40;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct mmsghdr (x86_64/arm64): struct msghdr, padded to 56 bytes, then the length the kernel moved.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MMsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
        private readonly int _msghdrPadding;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(SafeTunHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(SafeTunHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(SafeTunHandle fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static unsafe partial int SendMMsg(nint fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static unsafe partial int RecvMMsg(nint fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
