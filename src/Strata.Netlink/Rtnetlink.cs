using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Libc;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket bound to one network namespace: the calls behind <c>ip link</c>,
/// <c>ip addr</c>, <c>ip route</c>, <c>ip neigh</c> and <c>bridge fdb</c>. The socket is created
/// inside the namespace, so it keeps talking to that namespace from any thread. Thread-safe:
/// requests are serialised.
/// </summary>
public sealed partial class Rtnetlink : IDisposable
{
    private const int ReceiveBufferSize = 1 << 16;
    private const int MaxDumpRetries = 3;

    private readonly SafeNetlinkSocketHandle _socket;
    private readonly byte[] _receiveBuffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly byte[] _sendBuffer = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Lock _lock = new();
    private uint _sequence;

    private Rtnetlink(SafeNetlinkSocketHandle socket, NetworkNamespace? ns, string namespaceName)
    {
        _socket = socket;
        Namespace = ns;
        NamespaceName = namespaceName;
        _sequence = (uint)Environment.TickCount;
    }

    /// <summary>The namespace this socket talks to, or null for the caller's own.</summary>
    public NetworkNamespace? Namespace { get; }

    public string NamespaceName { get; }

    /// <summary>Opens a socket in <paramref name="ns"/>, or in the calling thread's namespace when null.</summary>
    public static Rtnetlink Open(NetworkNamespace? ns = null)
    {
        var socket = ns is null ? CreateSocket(0) : ns.Run(() => CreateSocket(0));
        return new Rtnetlink(socket, ns, ns?.Name ?? "current");
    }

    internal static SafeNetlinkSocketHandle CreateSocket(uint groups)
    {
        var socket = SafeFileDescriptor.Wrap<SafeNetlinkSocketHandle>(Interop.Libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), out int errno)
            ?? throw new NetlinkException("socket(AF_NETLINK, NETLINK_ROUTE)", "current", errno);

        try
        {
            SetOption(socket, SOL_NETLINK, NETLINK_EXT_ACK, 1);
            SetOption(socket, SOL_NETLINK, NETLINK_CAP_ACK, 1);
            SetOption(socket, SOL_SOCKET, SO_RCVBUF, 1 << 20);
            SetOption(socket, SOL_SOCKET, SO_SNDBUF, 1 << 20);
            Bind(socket, groups);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    private static unsafe void SetOption(SafeNetlinkSocketHandle socket, int level, int name, int value)
    {
        if (setsockopt(socket, level, name, &value, sizeof(int)) != 0)
        {
            throw new NetlinkException($"setsockopt({level}, {name})", "current", Marshal.GetLastPInvokeError());
        }
    }

    private static unsafe void Bind(SafeNetlinkSocketHandle socket, uint groups)
    {
        var address = new Interop.sockaddr_nl { nl_family = AF_NETLINK, nl_groups = groups };
        if (bind(socket, &address, (uint)sizeof(Interop.sockaddr_nl)) != 0)
        {
            throw new NetlinkException("bind(AF_NETLINK)", "current", Marshal.GetLastPInvokeError());
        }
    }

    internal static unsafe void JoinGroup(SafeNetlinkSocketHandle socket, uint group)
    {
        if (setsockopt(socket, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(uint)) != 0)
        {
            throw new NetlinkException($"join multicast group {group}", "current", Marshal.GetLastPInvokeError());
        }
    }

    public void Dispose() => _socket.Dispose();

    internal delegate void MessageBuilder(ref NetlinkWriter writer);

    internal delegate void MessageHandler(ushort type, ReadOnlySpan<byte> payload);

    /// <summary>Sends one request and waits for its acknowledgement; messages echoed back before it go to <paramref name="onReply"/>.</summary>
    internal void Execute(string operation, ushort type, ushort flags, MessageBuilder build, MessageHandler? onReply = null)
    {
        lock (_lock)
        {
            uint sequence = ++_sequence;
            var writer = new NetlinkWriter(_sendBuffer);
            writer.BeginMessage(type, (ushort)(flags | NLM_F_REQUEST | NLM_F_ACK), sequence);
            build(ref writer);
            writer.EndMessage();
            Send(operation, writer.Written);
            Receive(operation, sequence, onReply);
        }
    }

    /// <summary>Sends a dump request and hands every reply to <paramref name="onMessage"/>, retrying if the dump was interrupted.</summary>
    internal void Dump(string operation, ushort type, MessageBuilder build, MessageHandler onMessage)
    {
        for (int attempt = 1; ; attempt++)
        {
            var collected = new List<(ushort Type, byte[] Payload)>();
            bool interrupted;
            lock (_lock)
            {
                uint sequence = ++_sequence;
                var writer = new NetlinkWriter(_sendBuffer);
                writer.BeginMessage(type, NLM_F_REQUEST | NLM_F_DUMP, sequence);
                build(ref writer);
                writer.EndMessage();
                Send(operation, writer.Written);
                interrupted = Receive(operation, sequence, (t, p) => collected.Add((t, p.ToArray())));
            }

            if (!interrupted || attempt == MaxDumpRetries)
            {
                foreach (var (t, p) in collected)
                {
                    onMessage(t, p);
                }

                return;
            }
        }
    }

    private unsafe void Send(string operation, ReadOnlySpan<byte> message)
    {
        fixed (byte* data = message)
        {
            while (true)
            {
                nint sent = send(_socket, data, (nuint)message.Length, 0);
                if (sent >= 0)
                {
                    return;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Interop.Errno.EINTR)
                {
                    throw new NetlinkException(operation, NamespaceName, errno);
                }
            }
        }
    }

    /// <returns>true if a dump reply carried NLM_F_DUMP_INTR (the kernel's data changed during it).</returns>
    private unsafe bool Receive(string operation, uint sequence, MessageHandler? onMessage)
    {
        bool interrupted = false;
        while (true)
        {
            nint received;
            fixed (byte* buffer = _receiveBuffer)
            {
                received = recv(_socket, buffer, (nuint)_receiveBuffer.Length, 0);
            }

            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Errno.EINTR)
                {
                    continue;
                }

                throw new NetlinkException(operation, NamespaceName, errno);
            }

            foreach (var message in new NetlinkMessageEnumerator(_receiveBuffer.AsSpan(0, (int)received)))
            {
                if (message.Header.nlmsg_seq != sequence)
                {
                    continue; // a late reply to an earlier, abandoned request
                }

                interrupted |= (message.Header.nlmsg_flags & NLM_F_DUMP_INTR) != 0;
                switch (message.Header.nlmsg_type)
                {
                    case NLMSG_DONE:
                        return interrupted;
                    case NLMSG_ERROR:
                        var error = MemoryMarshal.Read<Interop.nlmsgerr>(message.Payload);
                        if (error.error == 0)
                        {
                            return interrupted;
                        }

                        throw new NetlinkException(operation, NamespaceName, -error.error, ExtendedAck(message));
                    case NLMSG_NOOP:
                        continue;
                    default:
                        onMessage?.Invoke(message.Header.nlmsg_type, message.Payload);
                        break;
                }
            }
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text that follows a capped error (linux/netlink.h, NETLINK_EXT_ACK).</summary>
    private static string? ExtendedAck(NetlinkMessage message)
    {
        if ((message.Header.nlmsg_flags & NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }

        int offset = Unsafe.SizeOf<Interop.nlmsgerr>();
        if ((message.Header.nlmsg_flags & NLM_F_CAPPED) == 0)
        {
            var original = MemoryMarshal.Read<Interop.nlmsgerr>(message.Payload).msg;
            offset += NetlinkWriter.Align((int)original.nlmsg_len - NetlinkWriter.HeaderSize);
        }

        if (offset >= message.Payload.Length)
        {
            return null;
        }

        foreach (var attribute in new NetlinkAttributeEnumerator(message.Payload[offset..]))
        {
            if (attribute.Type == NLMSGERR_ATTR_MSG)
            {
                return attribute.String;
            }
        }

        return null;
    }
}
