using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.Agent.Agnhost;

/// <summary>
/// Strata's agnhost <c>netexec</c>: the HTTP endpoints and the UDP server of test/images/agnhost/netexec, on Kestrel.
/// Start it, read the bound ports, await <see cref="ExitRequested"/>, then dispose it.
/// </summary>
public sealed class NetexecServer : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly WebApplication _app;
    private readonly List<UdpHostnameServer> _udp = [];
    private readonly TaskCompletionSource<ExitRequest> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NetexecHandlers _handlers;
    private volatile bool _terminating;

    private NetexecServer(NetexecOptions options, ILoggerFactory loggers, WebApplication app)
    {
        _logger = loggers.CreateLogger("Strata.Agent.Agnhost.Netexec");
        _app = app;
        _handlers = new NetexecHandlers(options, _logger, this);
    }

    /// <summary>The bound HTTP port.</summary>
    public int HttpPort { get; private set; }

    /// <summary>The bound UDP port, or -1 when the UDP server is off.</summary>
    public int UdpPort { get; private set; } = -1;

    /// <summary>Whether the UDP server runs (what /healthz and /readyz report).</summary>
    public bool Ready => _udp.Count > 0 && _udp.All(u => u.Running);

    /// <summary>True after SIGTERM: /readyz answers 503 "shutting down".</summary>
    public bool Terminating => _terminating;

    /// <summary>Completes when /exit or /shutdown asks the process to exit.</summary>
    public Task<ExitRequest> ExitRequested => _exit.Task;

    internal Stopwatch Uptime { get; } = Stopwatch.StartNew();

    public static async Task<NetexecServer> StartAsync(NetexecOptions options, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        if (options.SctpPort != -1)
        {
            throw new AgnhostUsageException("--sctp-port: SCTP is not implemented by Strata's agnhost");
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            void Https(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
                if (options.TlsCertFile.Length > 0)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(options.TlsCertFile,
                        options.TlsPrivateKeyFile.Length > 0 ? options.TlsPrivateKeyFile : null));
                }
            }

            if (options.HttpAddress is { } address)
            {
                kestrel.Listen(address, options.HttpPort, Https);
            }
            else
            {
                kestrel.ListenAnyIP(options.HttpPort, Https);
            }
        });
        var app = builder.Build();
        var server = new NetexecServer(options, loggers, app);
        app.Run(server._handlers.HandleAsync);

        if (options.UdpPort != -1)
        {
            foreach (var address in ParseAddresses(options.UdpListenAddresses))
            {
                var udp = UdpHostnameServer.Start(address, options.UdpPort, server._logger);
                server._udp.Add(udp);
                server.UdpPort = udp.Port;
            }
        }

        await app.StartAsync(cancellationToken);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.HttpPort = int.Parse(bound[(bound.LastIndexOf(':') + 1)..].TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture);
        AgnhostLog.StartedHttp(server._logger, options.HttpPort);
        return server;
    }

    /// <summary>SIGTERM arrived: readiness turns 503.</summary>
    public void MarkTerminating() => _terminating = true;

    internal void RequestExit(ExitRequest request) => _exit.TrySetResult(request);

    /// <summary>Stops accepting and waits up to <paramref name="timeout"/> for requests in flight.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _app.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var udp in _udp)
        {
            await udp.DisposeAsync();
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private static IReadOnlyList<IPAddress?> ParseAddresses(string addresses)
    {
        if (addresses.Length == 0)
        {
            return [null];
        }

        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string text in addresses.Split(','))
        {
            if (!IPAddress.TryParse(text, out _))
            {
                throw new AgnhostUsageException($"parseAddress: invalid address {text}");
            }

            result.Add(text);
        }

        return [.. result.Select(IPAddress.Parse)];
    }
}

/// <summary>netexec's UDP server: answers <c>hostname</c>, <c>echo MSG</c> and <c>clientip</c>.</summary>
internal sealed class UdpHostnameServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private UdpHostnameServer(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        Running = true;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public bool Running { get; private set; }

    public static UdpHostnameServer Start(IPAddress? address, int port, ILogger logger)
    {
        Socket socket;
        if (address is null)
        {
            socket = Socket.OSSupportsIPv6 ? new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true }
                : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, port));
        }
        else
        {
            socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(address, port));
        }

        AgnhostLog.StartedUdp(logger, address?.ToString() ?? "", port);
        return new UdpHostnameServer(socket, logger);
    }

    private async Task LoopAsync()
    {
        var buffer = new byte[2048];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                var from = (IPEndPoint)received.RemoteEndPoint;
                string client = GoFormat.Endpoint(from.Address, from.Port);
                string text = System.Text.Encoding.UTF8.GetString(buffer, 0, received.ReceivedBytes).Trim().ToLowerInvariant();
                string? answer = null;
                if (text == "hostname")
                {
                    AgnhostLog.UdpHostname(_logger);
                    answer = Dns.GetHostName();
                }
                else if (text.StartsWith("echo ", StringComparison.Ordinal))
                {
                    answer = text[5..];
                    AgnhostLog.UdpEcho(_logger, answer, client);
                }
                else if (text == "clientip")
                {
                    AgnhostLog.UdpClientIp(_logger, client);
                    answer = client;
                }
                else if (text.Length > 0)
                {
                    AgnhostLog.UdpUnknown(_logger, client, text);
                }

                if (answer is not null)
                {
                    await _socket.SendToAsync(System.Text.Encoding.UTF8.GetBytes(answer), SocketFlags.None, from, _stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException e)
        {
            AgnhostLog.Fatal(_logger, "failed accepting UDP connections", e.Message);
        }
        finally
        {
            Running = false;
            AgnhostLog.UdpExited(_logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        finally
        {
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
