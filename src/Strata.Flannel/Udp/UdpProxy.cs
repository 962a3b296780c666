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
/// threads, one preallocated buffer each, no allocation per packet. Every packet crosses the kernel/user boundary
/// twice on each side, which is why this backend is slow by design.
/// </summary>
public sealed partial class UdpProxy : IDisposable
{
    private const int BufferSize = 65536;
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
        var buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
        var pollFd = new Libc.PollFd { Events = Libc.POLLIN };
        bool added = false;
        _tun.DangerousAddRef(ref added);
        try
        {
            pollFd.Fd = (int)_tun.DangerousGetHandle();
            fixed (byte* start = buffer)
            {
                while (!_stopping)
                {
                    if (Libc.Poll(&pollFd, 1, 200) <= 0)
                    {
                        continue;
                    }

                    nint n = Libc.Read(_tun, start, BufferSize);
                    if (n < 20)
                    {
                        continue;
                    }

                    var packet = buffer.AsSpan(0, (int)n);
                    if (_peers.Find(UdpPeerTable.Destination(packet)) is not { } peer || !UdpPeerTable.DecrementTtl(packet))
                    {
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }

                    try
                    {
                        _socket.SendTo(packet, SocketFlags.None, peer);
                        Interlocked.Increment(ref _sent);
                    }
                    catch (SocketException)
                    {
                        Interlocked.Increment(ref _dropped); // e.g. EMSGSIZE or an unreachable peer: a lost packet, as on a wire
                    }
                }
            }
        }
        catch (ObjectDisposedException) when (_stopping)
        {
        }
        finally
        {
            if (added)
            {
                _tun.DangerousRelease();
            }
        }
    }

    private unsafe void UdpToTun()
    {
        var buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            fixed (byte* start = buffer)
            {
                while (!_stopping)
                {
                    if (!_socket.Poll(200_000, SelectMode.SelectRead))
                    {
                        continue;
                    }

                    int n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                    if (n < 20 || buffer[0] >> 4 != 4)
                    {
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }

                    if (Libc.Write(_tun, start, (nuint)n) < 0)
                    {
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }

                    Interlocked.Increment(ref _received);
                }
            }
        }
        catch (Exception e) when (_stopping && e is ObjectDisposedException or SocketException)
        {
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
