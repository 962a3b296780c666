using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Strata.Dns.Serving;

/// <summary>
/// The UDP and TCP listeners on one address and port (RFC 1035 4.2; TCP framing with a 2-byte length, RFC 7766).
/// UDP is served by one receive loop per core; a query answered from the cluster snapshot is answered inline, one
/// that waits on an upstream resolver continues in the background so the loop keeps receiving. A TCP connection
/// may carry several queries and is closed after <see cref="TcpIdleTimeout"/> without one (CoreDNS: 10 s).
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly DnsHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private DnsServer(Socket udp, Socket tcp, DnsHandler handler, ILogger logger)
    {
        _udp = udp;
        _tcp = tcp;
        _handler = handler;
        _logger = logger;
    }

    /// <summary>Where both listeners are bound (port 0 asks for a free port, the same for UDP and TCP).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_udp.LocalEndPoint!;

    public static DnsServer Start(IPEndPoint listen, DnsHandler handler, ILogger? logger = null, int? udpLoops = null)
    {
        var (udp, tcp) = Bind(listen);
        var server = new DnsServer(udp, tcp, handler, logger ?? NullLogger.Instance);
        for (var i = 0; i < (udpLoops ?? Math.Max(1, Environment.ProcessorCount)); i++)
        {
            server._loops.Add(Task.Run(server.UdpLoopAsync));
        }

        server._loops.Add(Task.Run(server.AcceptLoopAsync));
        return server;
    }

    private static (Socket Udp, Socket Tcp) Bind(IPEndPoint listen)
    {
        // With port 0 the kernel picks the UDP port; TCP then needs the same one, which may be taken: try again.
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            Socket? tcp = null;
            try
            {
                udp.Bind(listen);
                var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
                tcp = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(new IPEndPoint(listen.Address, port));
                tcp.Listen(512);
                return (udp, tcp);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && listen.Port == 0 && attempt < 20)
            {
                udp.Dispose();
                tcp?.Dispose();
            }
            catch (SocketException e)
            {
                udp.Dispose();
                tcp?.Dispose();
                throw new SocketException((int)e.SocketErrorCode, $"cannot listen on {listen} (UDP and TCP): {e.Message}");
            }
        }
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65535];
        var from = new SocketAddress(_udp.AddressFamily);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, from, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // An ICMP error for an earlier reply, or a message too big: nothing to answer, keep serving.
                DnsServerLog.ReceiveFailed(_logger, e.SocketErrorCode);
                continue;
            }

            // The handler reads the request before it first awaits, so the buffer may be reused when it returns.
            var pending = _handler.HandleAsync(buffer.AsMemory(0, length), tcp: false, token);
            if (pending.IsCompletedSuccessfully)
            {
                if (pending.Result is { } reply)
                {
                    SendUdp(reply, from);
                }
            }
            else
            {
                var to = new SocketAddress(from.Family, from.Size);
                from.Buffer.CopyTo(to.Buffer);
                _ = FinishUdpAsync(pending, to);
            }
        }
    }

    private async Task FinishUdpAsync(ValueTask<byte[]?> pending, SocketAddress to)
    {
        try
        {
            if (await pending is { } reply)
            {
                SendUdp(reply, to);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // A synchronous sendto, not SendToAsync: the receive loops (one per core) and the handlers that finished later
    // send on one socket from different threads, and concurrent SendToAsync calls with a SocketAddress share the
    // socket's cached SocketAsyncEventArgs, whose address one call can clear under the other ("Null is not a valid
    // value for e.RemoteEndPoint", seen in GarbageOverUdpAndTcpNeverStopsTheServer). A UDP send does not wait for the
    // peer.
    private void SendUdp(byte[] reply, SocketAddress to)
    {
        try
        {
            _udp.SendTo(reply, SocketFlags.None, to);
        }
        catch (SocketException e)
        {
            DnsServerLog.SendFailed(_logger, e.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            // A handler that finished after DisposeAsync: nothing is left to answer.
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _tcp.AcceptAsync(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                DnsServerLog.ReceiveFailed(_logger, e.SocketErrorCode);
                continue;
            }

            _ = ServeTcpAsync(connection, token);
        }
    }

    private async Task ServeTcpAsync(Socket connection, CancellationToken token)
    {
        using var _ = connection;
        var length = new byte[2];
        try
        {
            while (!token.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                idle.CancelAfter(TcpIdleTimeout);
                if (!await ReadExactlyAsync(connection, length, idle.Token))
                {
                    return;
                }

                var request = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                if (!await ReadExactlyAsync(connection, request, idle.Token))
                {
                    return;
                }

                var reply = await _handler.HandleAsync(request, tcp: true, token);
                if (reply is null)
                {
                    // No header to answer to: the stream cannot be trusted any more (RFC 7766 8).
                    return;
                }

                var framed = new byte[reply.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                reply.CopyTo(framed, 2);
                await connection.SendAsync(framed, SocketFlags.None, token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>False when the peer closed the connection before the buffer was full.</summary>
    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, token);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        // Every await in the loops takes the token, so they end on cancellation; the sockets are disposed only
        // then, because a Socket.Dispose racing an asynchronous operation in flight can fail inside the runtime's
        // SocketAsyncEventArgs (a NullReferenceException), not only with ObjectDisposedException.
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _udp.Dispose();
            _tcp.Dispose();
            _stop.Dispose();
        }
    }
}

internal static partial class DnsServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "receive failed: {Error}")]
    public static partial void ReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "send failed: {Error}")]
    public static partial void SendFailed(ILogger logger, SocketError error);
}
