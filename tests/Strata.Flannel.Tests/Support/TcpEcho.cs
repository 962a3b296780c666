using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Strata.Netlink;

namespace Strata.Flannel.Tests.Support;

/// <summary>
/// A TCP echo across namespaces: a listener bound to an address inside the server namespace and a client socket
/// created inside the client namespace (a socket belongs to the namespace of the thread that creates it, so both are
/// made through <see cref="NetworkNamespace.Run{T}"/>). The client sends a random payload, the server sends every
/// byte back, and the client returns what came back.
/// </summary>
public static class TcpEcho
{
    /// <summary>256 KiB: about 180 segments at flannel's MTUs, so segmentation (and TSO/GRO where offered) is exercised.</summary>
    public const int LargePayload = 256 * 1024;

    /// <summary>Echoes <paramref name="payload"/> through <paramref name="serverIp"/> and returns what the client got back.</summary>
    public static byte[] RoundTrip(string clientNs, string serverNs, string serverIp, byte[] payload, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var server = NetworkNamespace.Open(serverNs);
        using var client = NetworkNamespace.Open(clientNs);
        using var listener = server.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Parse(serverIp), 0));
            s.Listen(1);
            return s;
        });
        using var connection = client.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

        var echo = EchoOneAsync(listener, cancel.Token);
        try
        {
            connection.ConnectAsync(listener.LocalEndPoint!, cancel.Token).AsTask().GetAwaiter().GetResult();
            var sending = SendAllAsync(connection, payload, cancel.Token);
            var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = connection.ReceiveAsync(buffer, SocketFlags.None, cancel.Token).AsTask().GetAwaiter().GetResult()) > 0)
            {
                received.Write(buffer, 0, n);
            }

            sending.GetAwaiter().GetResult();
            echo.GetAwaiter().GetResult();
            return received.ToArray();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"TCP echo {clientNs} -> {serverIp} ({serverNs}) did not complete in {timeout.TotalSeconds} s");
        }
    }

    /// <summary>A random payload of <paramref name="length"/> bytes.</summary>
    public static byte[] Payload(int length) => RandomNumberGenerator.GetBytes(length);

    private static async Task SendAllAsync(Socket socket, byte[] payload, CancellationToken cancellationToken)
    {
        for (int sent = 0; sent < payload.Length;)
        {
            sent += await socket.SendAsync(payload.AsMemory(sent), SocketFlags.None, cancellationToken);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task EchoOneAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var accepted = await listener.AcceptAsync(cancellationToken);
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            for (int sent = 0; sent < n;)
            {
                sent += await accepted.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, cancellationToken);
            }
        }

        accepted.Shutdown(SocketShutdown.Send);
    }
}
