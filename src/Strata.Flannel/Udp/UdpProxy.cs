using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Netlink;
using Libc = Strata.Flannel.Interop.Libc;

namespace Strata.Flannel.Udp;

/// <summary>
/// The udp backend's userspace encapsulation (upstream's pkg/backend/udp/proxy_amd64.c): every IP packet the kernel
/// routes into the TUN device flannel0 is sent, whole, as the payload of one UDP datagram to port 8285 of the node
/// whose lease holds the destination; every datagram received on 8285 is written back into flannel0. Two dedicated
/// threads with preallocated, pinned buffers (no allocation per packet); the UDP side is batched (sendmmsg/recvmmsg,
/// up to 32 datagrams per call), the TUN side cannot be (one packet per read or write). Every packet still crosses
/// the kernel/user boundary on both nodes, which is why this backend is slow by design.
/// </summary>
public sealed partial class UdpProxy : IDisposable
{
    /// <summary>Datagrams per sendmmsg/recvmmsg.</summary>
    private const int Batch = 32;

    /// <summary>One packet's room: flannel0's MTU is the underlay's minus 28, so a jumbo underlay fits too.</summary>
    private const int SlotSize = 9216;
    private readonly SafeTunHandle _tun;
    private readonly Socket _socket;
    private readonly int _port;
    private readonly ILogger _logger;
    private readonly Thread _fromTun;
    private readonly Thread _fromUdp;
    private volatile UdpPeerTable _peers = UdpPeerTable.Empty;
    private volatile bool _stopping;
    private long _sent;
    private long _received;
    private long _dropped;

    private UdpProxy(SafeTunHandle tun, Socket socket, int port, ILogger logger)
    {
        _tun = tun;
        _socket = socket;
        _port = port;
        _logger = logger;
        _fromTun = new Thread(TunToUdp) { IsBackground = true, Name = "flannel udp: tun->udp" };
        _fromUdp = new Thread(UdpToTun) { IsBackground = true, Name = "flannel udp: udp->tun" };
    }

    /// <summary>Packets sent to peers, received from peers, and dropped (no lease holds the destination, or TTL ran out).</summary>
    public (long Sent, long Received, long Dropped) Counters => (Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    /// <summary>
    /// Creates flannel0 (a TUN device that lives as long as this proxy) and the UDP socket on
    /// <paramref name="local"/>:<paramref name="port"/>, both in <paramref name="ns"/>, and starts forwarding.
    /// </summary>
    public static UdpProxy Start(NetworkNamespace? ns, IPAddress local, int port, ILogger logger)
    {
        var tun = TunDevice.Open(ns, UdpConfig.DeviceName, TunMode.Tun);
        Socket? socket = null;
        try
        {
            Socket Bind()
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(new IPEndPoint(local, port));
                return s;
            }

            socket = ns is null ? Bind() : ns.Run(Bind);

            // Non-blocking, so that a batch takes what is queued and stops at EAGAIN instead of waiting.
            if (Libc.Fcntl(tun, Libc.F_SETFL, Libc.O_NONBLOCK) != 0)
            {
                throw new IOException($"fcntl(O_NONBLOCK) on {UdpConfig.DeviceName}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            }

            var proxy = new UdpProxy(tun, socket, port, logger);
            proxy._fromTun.Start();
            proxy._fromUdp.Start();
            Log.Started(logger, UdpConfig.DeviceName, local, port);
            return proxy;
        }
        catch
        {
            socket?.Dispose();
            tun.Dispose();
            throw;
        }
    }

    /// <summary>Replaces the destination table (on every plan).</summary>
    public void SetPeers(IReadOnlyList<UdpPeer> peers) => _peers = new UdpPeerTable(peers, _port);

    private unsafe void TunToUdp()
    {
        // Read what flannel0 has queued (up to a batch, without blocking once the first is in), then send the whole
        // batch with one sendmmsg.
        var buffers = GC.AllocateArray<byte>(Batch * SlotSize, pinned: true);
        var iovecs = GC.AllocateArray<Libc.IoVec>(Batch, pinned: true);
        var messages = GC.AllocateArray<Libc.MMsgHdr>(Batch, pinned: true);
        var pollFd = new Libc.PollFd { Events = Libc.POLLIN };
        bool added = false, socketAdded = false;
        _tun.DangerousAddRef(ref added);
        _socket.SafeHandle.DangerousAddRef(ref socketAdded);
        try
        {
            pollFd.Fd = (int)_tun.DangerousGetHandle();
            nint socket = _socket.SafeHandle.DangerousGetHandle();
            fixed (byte* slots = buffers)
            fixed (Libc.IoVec* iov = iovecs)
            fixed (Libc.MMsgHdr* msgs = messages)
            {
                while (!_stopping)
                {
                    if (Libc.Poll(&pollFd, 1, 200) <= 0)
                    {
                        continue;
                    }

                    var peers = _peers;
                    int count = 0;
                    for (int read = 0; read < Batch; read++)
                    {
                        byte* slot = slots + (count * SlotSize);
                        nint n = Libc.Read(_tun, slot, SlotSize);
                        if (n < 0)
                        {
                            break; // EAGAIN: the queue is empty
                        }

                        var packet = new Span<byte>(slot, (int)n);
                        int peer = n < 20 ? -1 : peers.IndexOf(UdpPeerTable.Destination(packet));
                        if (peer < 0 || !UdpPeerTable.DecrementTtl(packet))
                        {
                            Interlocked.Increment(ref _dropped);
                            continue;
                        }

                        iov[count] = new Libc.IoVec { Base = slot, Length = (nuint)n };
                        msgs[count] = new Libc.MMsgHdr { Name = peers.NativeAddress(peer), NameLength = UdpPeerTable.SockaddrInLength, Iov = &iov[count], IovLength = 1 };
                        count++;
                    }

                    for (int sent = 0; sent < count;)
                    {
                        int n = Libc.SendMMsg(socket, msgs + sent, (uint)(count - sent), 0);
                        if (n <= 0)
                        {
                            // The first message failed (EMSGSIZE, an unreachable peer...): a lost packet, as on a wire.
                            Interlocked.Increment(ref _dropped);
                            sent++;
                            continue;
                        }

                        sent += n;
                        Interlocked.Add(ref _sent, n);
                    }

                    GC.KeepAlive(peers);
                }
            }
        }
        finally
        {
            if (socketAdded)
            {
                _socket.SafeHandle.DangerousRelease();
            }

            if (added)
            {
                _tun.DangerousRelease();
            }
        }
    }

    private unsafe void UdpToTun()
    {
        // One recvmmsg takes every datagram waiting (up to a batch); each is one packet written to flannel0.
        var buffers = GC.AllocateArray<byte>(Batch * SlotSize, pinned: true);
        var iovecs = GC.AllocateArray<Libc.IoVec>(Batch, pinned: true);
        var messages = GC.AllocateArray<Libc.MMsgHdr>(Batch, pinned: true);
        bool added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            nint socket = _socket.SafeHandle.DangerousGetHandle();
            var pollFd = new Libc.PollFd { Fd = (int)socket, Events = Libc.POLLIN };
            fixed (byte* slots = buffers)
            fixed (Libc.IoVec* iov = iovecs)
            fixed (Libc.MMsgHdr* msgs = messages)
            {
                for (int i = 0; i < Batch; i++)
                {
                    iov[i] = new Libc.IoVec { Base = slots + (i * SlotSize), Length = SlotSize };
                }

                while (!_stopping)
                {
                    if (Libc.Poll(&pollFd, 1, 200) <= 0)
                    {
                        continue;
                    }

                    for (int i = 0; i < Batch; i++)
                    {
                        msgs[i] = new Libc.MMsgHdr { Iov = &iov[i], IovLength = 1 };
                    }

                    int count = Libc.RecvMMsg(socket, msgs, Batch, Libc.MSG_DONTWAIT, null);
                    for (int i = 0; i < count; i++)
                    {
                        byte* packet = slots + (i * SlotSize);
                        uint n = msgs[i].Length;
                        if (n < 20 || packet[0] >> 4 != 4 || Libc.Write(_tun, packet, n) < 0)
                        {
                            Interlocked.Increment(ref _dropped);
                            continue;
                        }

                        Interlocked.Increment(ref _received);
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _fromTun.Join();
        _fromUdp.Join();
        _socket.Dispose();
        _tun.Dispose();
        var (sent, received, dropped) = Counters;
        Log.Stopped(_logger, sent, received, dropped);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "udp backend: {Device} <-> UDP {Local}:{Port}")]
        public static partial void Started(ILogger logger, string device, IPAddress local, int port);

        [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "udp backend stopped: {Sent} packets sent, {Received} received, {Dropped} dropped")]
        public static partial void Stopped(ILogger logger, long sent, long received, long dropped);
    }
}
