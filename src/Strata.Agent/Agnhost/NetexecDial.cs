using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Strata.Agent.Agnhost;

/// <summary>A failed dial, worded as Go's net and net/http errors are.</summary>
public sealed class NetexecDialException(string message) : Exception(message);

/// <summary>netexec's /dial: one request to host:port over HTTP or UDP, on a new connection each time (5 s timeout).</summary>
public static class NetexecDial
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>net.ResolveTCPAddr / ResolveUDPAddr of <c>host:port</c>: an IP literal, or a name looked up (IPv4 first).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string network, string host, string port, CancellationToken cancellationToken)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > 65535)
        {
            throw new NetexecDialException(port.Length == 0
                ? $"address {JoinHostPort(host, port)}: missing port in address"
                : $"lookup {network}/{port}: unknown port");
        }

        if (host.Length == 0)
        {
            return new IPEndPoint(IPAddress.Loopback, number);
        }

        if (IPAddress.TryParse(host, out var literal))
        {
            return new IPEndPoint(literal, number);
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is null ? throw new NetexecDialException($"lookup {host}: no such host") : new IPEndPoint(chosen, number);
        }
        catch (SocketException)
        {
            throw new NetexecDialException($"lookup {host}: no such host");
        }
    }

    /// <summary>GET http://ADDR/REQUEST; the body, or Go's error text.</summary>
    public static async Task<string> HttpAsync(string request, IPEndPoint target, CancellationToken cancellationToken)
    {
        string address = GoFormat.Endpoint(target.Address, target.Port);
        string url = $"http://{address}/{request}";
        using var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero, AllowAutoRedirect = true };
        using var client = new HttpClient(handler) { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException socket)
        {
            throw new NetexecDialException($"Get {GoFormat.Quote(url)}: dial tcp {address}: connect: {SocketError(socket)}");
        }
        catch (HttpRequestException e)
        {
            throw new NetexecDialException($"Get {GoFormat.Quote(url)}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NetexecDialException($"Get {GoFormat.Quote(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
    }

    /// <summary>Sends REQUEST in one datagram from a new socket and waits 5 s for one answer.</summary>
    public static async Task<string> UdpAsync(string request, IPEndPoint target, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new NetexecDialException($"udp dial failed. err:dial udp {GoFormat.Endpoint(target.Address, target.Port)}: connect: {SocketError(e)}");
        }

        string local = socket.LocalEndPoint is IPEndPoint l ? GoFormat.Endpoint(l.Address, l.Port) : "";
        string remote = GoFormat.Endpoint(target.Address, target.Port);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new NetexecDialException($"udp connection write failed. err:write udp {local}->{remote}: write: {SocketError(e)}");
        }

        var buffer = new byte[2048];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            int count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (count == 0)
            {
                throw new NetexecDialException("reading from udp connection failed. err:'<nil>'");
            }

            return Encoding.UTF8.GetString(buffer, 0, count);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NetexecDialException($"reading from udp connection failed. err:'read udp {local}->{remote}: i/o timeout'");
        }
        catch (SocketException e)
        {
            throw new NetexecDialException($"reading from udp connection failed. err:'read udp {local}->{remote}: read: {SocketError(e)}'");
        }
    }

    private static string JoinHostPort(string host, string port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>The errno text Go prints (strerror, lower case).</summary>
    private static string SocketError(SocketException e) => e.SocketErrorCode switch
    {
        System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
        System.Net.Sockets.SocketError.HostUnreachable => "no route to host",
        System.Net.Sockets.SocketError.NetworkUnreachable => "network is unreachable",
        System.Net.Sockets.SocketError.TimedOut => "connection timed out",
        System.Net.Sockets.SocketError.ConnectionReset => "connection reset by peer",
        _ => e.Message.ToLowerInvariant(),
    };
}
