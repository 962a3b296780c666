using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Strata.Flannel.Backend;
using Strata.Flannel.Config;
using Strata.Netlink;
using Libc = Strata.Flannel.Interop.Libc;

namespace Strata.Flannel.Udp;

/// <summary>
/// The udp backend's userspace encapsulation (upstream's pkg/backend/udp/proxy_amd64.c): every IP packet the kernel
/// routes into the TUN device flannel0 is sent, whole, as the payload of one UDP datagram to port 8285 of the node
/// whose lease holds the destination; every datagram received on 8285 is written back into flannel0. The wire format
/// is upstream's, so it interoperates with upstream's udp backend.
/// <para>
/// Two dedicated threads with preallocated, pinned buffers (no allocation per packet). The UDP side is batched
/// (sendmmsg/recvmmsg). With offloads (the default), flannel0 is opened with IFF_VNET_HDR and TUNSETOFFLOAD, so one
/// read returns a TCP super-packet of up to 64 KiB, which is cut into MTU-sized packets here and sent with one UDP GSO
/// message; the socket has UDP_GRO, so one receive returns a peer's run of datagrams, and consecutive TCP segments of a
/// flow go back into flannel0 as one super-packet (one writev). A system call then moves about 45 packets instead of
/// one, which is what wireguard-go does for its TUN device. Every packet still crosses into user space on both nodes,
/// which is why the backend remains slow by design.
/// </para>
/// </summary>
public sealed partial class UdpProxy : IDisposable
{
    /// <summary>Reads (and receives) per batch without offloads, and the room for one packet: a jumbo underlay fits.</summary>
    private const int PlainBatch = 32;
    private const int PlainSlot = 9216;

    /// <summary>With offloads: reads per batch, and the room for a super-packet (64 KiB plus its virtio_net_hdr).</summary>
    private const int OffloadBatch = 16;
    private const int OffloadSlot = 65536 + 64;

    /// <summary>The room for a super-packet cut into segments: its payload plus a copy of the headers per segment.</summary>
    private const int SegmentsSlot = 128 * 1024;

    /// <summary>The UDP socket's receive buffer (the kernel doubles it for its bookkeeping).</summary>
    private const int ReceiveBuffer = 4 * 1024 * 1024;

    /// <summary>The most iovecs one coalesced write takes: the virtio_net_hdr, the head, and every other segment's payload.</summary>
    private const int MaxWriteIovecs = 1024;

    private readonly SafeTunHandle _tun;
    private readonly Socket _socket;
    private readonly int _port;
    private readonly bool _offload;
    private readonly ILogger _logger;
    private readonly Thread _fromTun;
    private readonly Thread _fromUdp;
    private volatile UdpPeerTable _peers = UdpPeerTable.Empty;
    private volatile bool _stopping;
    private long _sent;
    private long _received;
    private long _dropped;
    private long _superPacketsCut;
    private long _superPacketsWritten;

    private UdpProxy(SafeTunHandle tun, Socket socket, int port, bool offload, ILogger logger)
    {
        _tun = tun;
        _socket = socket;
        _port = port;
        _offload = offload;
        _logger = logger;
        _fromTun = new Thread(TunToUdp) { IsBackground = true, Name = "flannel udp: tun->udp" };
        _fromUdp = new Thread(UdpToTun) { IsBackground = true, Name = "flannel udp: udp->tun" };
    }

    /// <summary>Packets (datagrams) sent to peers, received from peers, and dropped (no lease holds the destination, TTL ran out, a malformed packet).</summary>
    public (long Sent, long Received, long Dropped) Counters => (Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    /// <summary>TCP super-packets read from flannel0 and cut into datagrams, and super-packets coalesced from datagrams and written to it.</summary>
    public (long Cut, long Written) SuperPackets => (Interlocked.Read(ref _superPacketsCut), Interlocked.Read(ref _superPacketsWritten));

    /// <summary>
    /// Creates flannel0 (a TUN device that lives as long as this proxy) and the UDP socket on
    /// <paramref name="local"/>:<paramref name="port"/>, both in <paramref name="ns"/>, and starts forwarding.
    /// <paramref name="offload"/> false moves one packet per TUN read or write (upstream's way; the benchmark's reference).
    /// </summary>
    public static UdpProxy Start(NetworkNamespace? ns, IPAddress local, int port, ILogger logger, bool offload = true)
    {
        var tun = TunDevice.Open(ns, UdpConfig.DeviceName, TunMode.Tun, vnetHeader: offload);
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
            GrowReceiveBuffer(socket, logger);

            // Non-blocking, so that a batch takes what is queued and stops at EAGAIN instead of waiting.
            if (Libc.Fcntl(tun, Libc.F_SETFL, Libc.O_NONBLOCK) != 0)
            {
                throw new IOException($"fcntl(O_NONBLOCK) on {UdpConfig.DeviceName}: errno {Marshal.GetLastPInvokeError()}");
            }

            if (offload)
            {
                if (Libc.Ioctl(tun, Libc.TUNSETOFFLOAD, Libc.TUN_F_CSUM | Libc.TUN_F_TSO4 | Libc.TUN_F_TSO_ECN) != 0)
                {
                    throw new IOException($"TUNSETOFFLOAD on {UdpConfig.DeviceName}: errno {Marshal.GetLastPInvokeError()}");
                }

                // UDP_GRO (Linux 5.0) is only a speed-up: without it every datagram is received alone.
                try
                {
                    socket.SetRawSocketOption(Libc.SOL_UDP, Libc.UDP_GRO, BitConverter.GetBytes(1));
                }
                catch (SocketException e)
                {
                    Log.NoUdpGro(logger, e.SocketErrorCode);
                }
            }

            var proxy = new UdpProxy(tun, socket, port, offload, logger);
            proxy._fromTun.Start();
            proxy._fromUdp.Start();
            Log.Started(logger, UdpConfig.DeviceName, local, port, offload ? "TSO/GSO/GRO offloads" : "one packet per TUN read/write");
            return proxy;
        }
        catch
        {
            socket?.Dispose();
            tun.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Room for bursts: with the default receive buffer (net.core.rmem_default, 208 KiB: three 64 KiB GSO datagrams) a
    /// peer's burst overflows it whenever this thread is descheduled, and every loss is a TCP retransmission inside the
    /// tunnel. SO_RCVBUFFORCE passes net.core.rmem_max (the role has CAP_NET_ADMIN); SO_RCVBUF is the fallback.
    /// </summary>
    private static void GrowReceiveBuffer(Socket socket, ILogger logger)
    {
        try
        {
            socket.SetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, BitConverter.GetBytes(ReceiveBuffer));
        }
        catch (SocketException)
        {
            socket.ReceiveBufferSize = ReceiveBuffer;
        }

        Log.ReceiveBuffer(logger, socket.ReceiveBufferSize);
    }

    /// <summary>Replaces the destination table (on every plan).</summary>
    public void SetPeers(IReadOnlyList<UdpPeer> peers) => _peers = new UdpPeerTable(peers, _port);

    private unsafe void TunToUdp()
    {
        // Read what flannel0 has queued (up to a batch, without blocking once the first is in); a super-packet is cut
        // into segments in the output slot that belongs to its read slot; then the whole batch goes in one sendmmsg.
        int header = _offload ? VirtioNetHeader.Size : 0;
        int slotSize = _offload ? OffloadSlot : PlainSlot;
        int reads = _offload ? OffloadBatch : PlainBatch;
        var input = GC.AllocateArray<byte>(reads * slotSize, pinned: true);
        var output = GC.AllocateArray<byte>(_offload ? reads * SegmentsSlot : 1, pinned: true);
        var batch = new DatagramBatch(256);
        var pollFd = new Libc.PollFd { Events = Libc.POLLIN };
        bool added = false, socketAdded = false;
        _tun.DangerousAddRef(ref added);
        _socket.SafeHandle.DangerousAddRef(ref socketAdded);
        try
        {
            pollFd.Fd = (int)_tun.DangerousGetHandle();
            nint socket = _socket.SafeHandle.DangerousGetHandle();
            fixed (byte* slots = input)
            fixed (byte* segments = output)
            {
                while (!_stopping)
                {
                    if (Libc.Poll(&pollFd, 1, 200) <= 0)
                    {
                        continue;
                    }

                    var peers = _peers;
                    long dropped = 0;
                    for (int read = 0; read < reads; read++)
                    {
                        byte* slot = slots + (read * slotSize);
                        nint n = Libc.Read(_tun, slot, (nuint)slotSize);
                        if (n < 0)
                        {
                            break; // EAGAIN: the queue is empty
                        }

                        if (n < header + 20)
                        {
                            dropped++; // shorter than an IPv4 header
                            continue;
                        }

                        var vnet = _offload ? VirtioNetHeader.Read(new ReadOnlySpan<byte>(slot, header)) : default;
                        var packet = new Span<byte>(slot + header, (int)n - header);
                        int peer = peers.IndexOf(UdpPeerTable.Destination(packet));
                        if (peer < 0 || !UdpPeerTable.DecrementTtl(packet))
                        {
                            dropped++;
                            continue;
                        }

                        byte* address = peers.NativeAddress(peer);
                        if (vnet.Gso == VirtioNetHeader.VIRTIO_NET_HDR_GSO_TCPV4)
                        {
                            byte* cut = segments + (read * SegmentsSlot);
                            int count = TsoSegmenter.Split(packet, vnet, new Span<byte>(cut, SegmentsSlot), out int segmentLength);
                            if (count < 0)
                            {
                                dropped++;
                                continue;
                            }

                            int length = packet.Length + ((count - 1) * TcpCoalescer.HeaderLength(packet));
                            if (!batch.AddSegments(cut, length, segmentLength, count, address))
                            {
                                Account(batch.Flush(socket), ref dropped);
                                if (!batch.AddSegments(cut, length, segmentLength, count, address))
                                {
                                    dropped += count; // more segments than a batch holds (a tiny MSS without GSO)
                                    continue;
                                }
                            }

                            Interlocked.Increment(ref _superPacketsCut);
                            continue;
                        }

                        if (vnet.Gso != VirtioNetHeader.VIRTIO_NET_HDR_GSO_NONE || (vnet.NeedsChecksum && !TsoSegmenter.CompleteChecksum(packet, vnet)))
                        {
                            dropped++;
                            continue;
                        }

                        if (!batch.HasRoom(1))
                        {
                            Account(batch.Flush(socket), ref dropped);
                        }

                        batch.Add(slot + header, packet.Length, 0, 1, address);
                    }

                    Account(batch.Flush(socket), ref dropped);
                    if (dropped > 0)
                    {
                        Interlocked.Add(ref _dropped, dropped);
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

    private void Account((long Sent, long Dropped) flushed, ref long dropped)
    {
        dropped += flushed.Dropped;
        if (flushed.Sent > 0)
        {
            Interlocked.Add(ref _sent, flushed.Sent);
        }
    }

    private unsafe void UdpToTun()
    {
        // One recvmmsg takes every datagram waiting (up to a batch; with UDP_GRO each message may hold a run of one
        // peer's datagrams, UDP_GRO's control message telling their size). Each packet, or each run of TCP segments
        // coalesced into a super-packet, is one write into flannel0.
        int slotSize = _offload ? OffloadSlot : PlainSlot;
        int receives = _offload ? OffloadBatch : PlainBatch;
        var buffers = GC.AllocateArray<byte>(receives * slotSize, pinned: true);
        var iovecs = GC.AllocateArray<Libc.IoVec>(receives, pinned: true);
        var messages = GC.AllocateArray<Libc.MMsgHdr>(receives, pinned: true);
        var controls = GC.AllocateArray<byte>(receives * Libc.CMsgSpace, pinned: true);
        var writeIovecs = GC.AllocateArray<Libc.IoVec>(MaxWriteIovecs, pinned: true);
        var headers = GC.AllocateArray<byte>(2 * VirtioNetHeader.Size, pinned: true); // [0..10) stays zero: "no offload"
        bool added = false;
        _socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            nint socket = _socket.SafeHandle.DangerousGetHandle();
            var pollFd = new Libc.PollFd { Fd = (int)socket, Events = Libc.POLLIN };
            fixed (byte* slots = buffers)
            fixed (Libc.IoVec* iov = iovecs)
            fixed (Libc.MMsgHdr* msgs = messages)
            fixed (byte* control = controls)
            fixed (Libc.IoVec* writes = writeIovecs)
            fixed (byte* vnet = headers)
            {
                for (int i = 0; i < receives; i++)
                {
                    iov[i] = new Libc.IoVec { Base = slots + (i * slotSize), Length = (nuint)slotSize };
                }

                while (!_stopping)
                {
                    if (Libc.Poll(&pollFd, 1, 200) <= 0)
                    {
                        continue;
                    }

                    for (int i = 0; i < receives; i++)
                    {
                        msgs[i] = new Libc.MMsgHdr { Iov = &iov[i], IovLength = 1, Control = control + (i * Libc.CMsgSpace), ControlLength = Libc.CMsgSpace };
                    }

                    int count = Libc.RecvMMsg(socket, msgs, (uint)receives, Libc.MSG_DONTWAIT, null);
                    long received = 0, dropped = 0;
                    for (int i = 0; i < count; i++)
                    {
                        int n = (int)msgs[i].Length;
                        int segmentLength = GroSegmentLength(&msgs[i]) is > 0 and var gso ? gso : n;
                        var datagrams = new Span<byte>(slots + (i * slotSize), n);
                        int total = TcpCoalescer.Count(n, segmentLength);
                        if ((msgs[i].Flags & Libc.MSG_TRUNC) != 0)
                        {
                            dropped += total;
                            continue;
                        }

                        for (int k = 0; k < total;)
                        {
                            int run = _offload ? Math.Min(TcpCoalescer.Run(datagrams, segmentLength, k), MaxWriteIovecs - 1) : 1;
                            nint written;
                            if (run > 1)
                            {
                                var merged = TcpCoalescer.Merge(datagrams, segmentLength, k, run);
                                merged.Write(new Span<byte>(vnet + VirtioNetHeader.Size, VirtioNetHeader.Size));
                                int headerLength = merged.HeaderLength;
                                writes[0] = new Libc.IoVec { Base = vnet + VirtioNetHeader.Size, Length = VirtioNetHeader.Size };
                                for (int j = 0; j < run; j++)
                                {
                                    var datagram = TcpCoalescer.Datagram(datagrams, segmentLength, k + j);
                                    int skip = j == 0 ? 0 : headerLength;
                                    fixed (byte* start = datagram)
                                    {
                                        writes[j + 1] = new Libc.IoVec { Base = start + skip, Length = (nuint)(datagram.Length - skip) };
                                    }
                                }

                                written = Libc.Writev(_tun, writes, run + 1);
                                if (written >= 0)
                                {
                                    Interlocked.Increment(ref _superPacketsWritten);
                                }
                            }
                            else
                            {
                                var packet = TcpCoalescer.Datagram(datagrams, segmentLength, k);
                                if (packet.Length < 20 || packet[0] >> 4 != 4)
                                {
                                    written = -1;
                                }
                                else
                                {
                                    fixed (byte* start = packet)
                                    {
                                        writes[0] = new Libc.IoVec { Base = vnet, Length = VirtioNetHeader.Size };
                                        writes[1] = new Libc.IoVec { Base = start, Length = (nuint)packet.Length };
                                        written = _offload ? Libc.Writev(_tun, writes, 2) : Libc.Write(_tun, start, (nuint)packet.Length);
                                    }
                                }
                            }

                            if (written < 0)
                            {
                                dropped += run;
                            }
                            else
                            {
                                received += run;
                            }

                            k += run;
                        }
                    }

                    if (received > 0)
                    {
                        Interlocked.Add(ref _received, received);
                    }

                    if (dropped > 0)
                    {
                        Interlocked.Add(ref _dropped, dropped);
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

    /// <summary>The size of the datagrams in a GRO receive (the UDP_GRO control message), or 0 when there is none.</summary>
    private static unsafe int GroSegmentLength(Libc.MMsgHdr* message)
    {
        if (message->ControlLength < (nuint)Libc.CMsgLength(sizeof(int)))
        {
            return 0;
        }

        var cmsg = (Libc.CMsgHdr*)message->Control;
        return cmsg->Level == Libc.SOL_UDP && cmsg->Type == Libc.UDP_GRO ? *(int*)(cmsg + 1) : 0;
    }

    public void Dispose()
    {
        _stopping = true;
        _fromTun.Join();
        _fromUdp.Join();
        _socket.Dispose();
        _tun.Dispose();
        var (sent, received, dropped) = Counters;
        var (cut, written) = SuperPackets;
        Log.Stopped(_logger, sent, received, dropped, cut, written);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "udp backend: {Device} <-> UDP {Local}:{Port} ({Mode})")]
        public static partial void Started(ILogger logger, string device, IPAddress local, int port, string mode);

        [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "udp backend stopped: {Sent} packets sent, {Received} received, {Dropped} dropped; {Cut} TCP super-packets cut, {Written} coalesced")]
        public static partial void Stopped(ILogger logger, long sent, long received, long dropped, long cut, long written);

        [LoggerMessage(EventId = 23, Level = LogLevel.Debug, Message = "udp backend: receive buffer {Bytes} bytes")]
        public static partial void ReceiveBuffer(ILogger logger, int bytes);

        [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "udp backend: the socket has no UDP_GRO ({Error}); every datagram is received alone")]
        public static partial void NoUdpGro(ILogger logger, SocketError error);
    }
}
