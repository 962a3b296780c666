using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.Agent.Agnhost;

/// <summary>The flags of <c>agnhost serve-hostname</c>, with upstream's defaults.</summary>
public sealed record ServeHostnameOptions
{
    public bool Tcp { get; init; }

    public bool Udp { get; init; }

    public bool Http { get; init; } = true;

    /// <summary>Close the connection after each HTTP request.</summary>
    public bool Close { get; init; }

    public int Port { get; init; } = 9376;

    /// <summary>The address to listen on; null for all (as upstream). Tests bind loopback.</summary>
    public IPAddress? Address { get; init; }

    public static AgnhostFlags Flags() => new AgnhostFlags()
        .Bool("tcp", false, "Serve raw over TCP.")
        .Bool("udp", false, "Serve raw over UDP.")
        .Bool("http", true, "Serve HTTP.")
        .Bool("close", false, "Close connection per each HTTP request.")
        .Int("port", 9376, "Port number.");

    public static ServeHostnameOptions From(AgnhostFlags flags) => new()
    {
        Tcp = flags.GetBool("tcp"),
        Udp = flags.GetBool("udp"),
        Http = flags.GetBool("http"),
        Close = flags.GetBool("close"),
        Port = flags.GetInt("port"),
    };
}

/// <summary>
/// Strata's agnhost <c>serve-hostname</c>: answers every HTTP request, TCP connection or UDP datagram with the
/// hostname (test/images/agnhost/serve-hostname).
/// </summary>
public sealed class ServeHostnameServer : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly List<Socket> _sockets = [];
    private WebApplication? _app;

    private ServeHostnameServer(ILogger logger) => _logger = logger;

    /// <summary>The bound port of each server (TCP, UDP, HTTP), for port 0.</summary>
    public int TcpPort { get; private set; } = -1;

    public int UdpPort { get; private set; } = -1;

    public int HttpPort { get; private set; } = -1;

    public static async Task<ServeHostnameServer> StartAsync(ServeHostnameOptions options, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        if (options.Http && (options.Tcp || options.Udp))
        {
            throw new AgnhostUsageException("Can't server TCP/UDP mode and HTTP mode at the same time");
        }

        var server = new ServeHostnameServer(loggers.CreateLogger("Strata.Agent.Agnhost.ServeHostname"));
        string hostname = Dns.GetHostName();
        byte[] answer = Encoding.UTF8.GetBytes(hostname);
        if (options.Tcp)
        {
            var listener = Bind(options.Address, options.Port, SocketType.Stream, ProtocolType.Tcp);
            listener.Listen(128);
            server._sockets.Add(listener);
            server.TcpPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
            server._loops.Add(Task.Run(() => server.ServeTcpAsync(listener, answer), CancellationToken.None));
        }

        if (options.Udp)
        {
            var socket = Bind(options.Address, options.Port, SocketType.Dgram, ProtocolType.Udp);
            server._sockets.Add(socket);
            server.UdpPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
            server._loops.Add(Task.Run(() => server.ServeUdpAsync(socket, answer), CancellationToken.None));
        }

        if (options.Http)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.Services.AddSingleton(loggers);
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                if (options.Address is { } address)
                {
                    kestrel.Listen(address, options.Port);
                }
                else
                {
                    kestrel.ListenAnyIP(options.Port);
                }
            });
            var app = builder.Build();
            app.Run(async context =>
            {
                AgnhostLog.HostnameHttp(server._logger, GoFormat.Endpoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort));
                if (options.Close)
                {
                    context.Response.Headers.Connection = "close";
                }

                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(hostname);
            });
            await app.StartAsync(cancellationToken);
            server._app = app;
            string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.HttpPort = int.Parse(bound[(bound.LastIndexOf(':') + 1)..].TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture);
        }

        AgnhostLog.ServingHostname(server._logger, options.Port);
        return server;
    }

    private static Socket Bind(IPAddress? address, int port, SocketType type, ProtocolType protocol)
    {
        Socket socket;
        if (address is null && Socket.OSSupportsIPv6)
        {
            socket = new Socket(AddressFamily.InterNetworkV6, type, protocol) { DualMode = true };
            address = IPAddress.IPv6Any;
        }
        else
        {
            address ??= IPAddress.Any;
            socket = new Socket(address.AddressFamily, type, protocol);
        }

        if (type == SocketType.Stream)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    private async Task ServeTcpAsync(Socket listener, byte[] answer)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptAsync(_stop.Token);
                var remote = (IPEndPoint)connection.RemoteEndPoint!;
                AgnhostLog.HostnameTcp(_logger, GoFormat.Endpoint(remote.Address, remote.Port));
                try
                {
                    await connection.SendAsync(answer, SocketFlags.None, _stop.Token);
                }
                catch (SocketException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeUdpAsync(Socket socket, byte[] answer)
    {
        var buffer = new byte[16];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            while (true)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    continue;
                }

                var from = (IPEndPoint)received.RemoteEndPoint;
                AgnhostLog.HostnameUdp(_logger, GoFormat.Endpoint(from.Address, from.Port));
                await socket.SendToAsync(answer, SocketFlags.None, from, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var loop in _loops)
        {
            await loop;
        }

        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _stop.Dispose();
    }
}
