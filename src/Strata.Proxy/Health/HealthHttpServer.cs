using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Strata.Proxy.Health;

/// <summary>
/// Makes the bound listening socket a health server listens on. The socket keeps the network namespace it was created
/// in, so a proxy programming another namespace (its node's) creates it there.
/// </summary>
public delegate Socket ListenSocketFactory(IPEndPoint endpoint);

/// <summary>
/// One HTTP/1.1 listener answering every request from a <see cref="HealthResponse"/> chosen by path (upstream runs one
/// Go http.Server per address). Kestrel, without the hosting layer: a server per Service port would make a whole
/// WebApplication each.
/// </summary>
public sealed class HealthHttpServer : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private readonly ServiceProvider _services;

    private HealthHttpServer(KestrelServer server, ServiceProvider services, IPEndPoint endpoint)
    {
        _server = server;
        _services = services;
        Endpoint = endpoint;
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Binds and starts serving; throws <see cref="IOException"/> naming the address when it cannot listen.</summary>
    public static async Task<HealthHttpServer> StartAsync(IPEndPoint endpoint, Func<string, HealthResponse> respond, ILoggerFactory loggers, ListenSocketFactory? bind = null)
    {
        var services = new ServiceCollection().AddSingleton(loggers).BuildServiceProvider();
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = services };
        options.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        var transport = new SocketTransportOptions { CreateBoundListenSocket = e => (bind ?? Bind)((IPEndPoint)e) };
        var server = new KestrelServer(Options.Create(options), new SocketTransportFactory(Options.Create(transport), loggers), loggers);
        try
        {
            await server.StartAsync(new Application(respond), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            server.Dispose();
            await services.DisposeAsync();
            throw new IOException($"cannot listen on {endpoint}: {(e.InnerException ?? e).Message}", e);
        }

        var address = server.Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var port = new Uri(address).Port;
        return new HealthHttpServer(server, services, new IPEndPoint(endpoint.Address, port));
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _server.StopAsync(stop.Token);
        }

        _server.Dispose();
        await _services.DisposeAsync();
    }

    /// <summary>
    /// A TCP socket bound (not yet listening) to the endpoint, as Kestrel binds its own. Not SO_REUSEADDR by hand: .NET
    /// sets SO_REUSEPORT with it on Linux, which would let a second server share the port instead of failing.
    /// </summary>
    public static Socket Bind(IPEndPoint endpoint) => SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);

    private sealed class Application(Func<string, HealthResponse> respond) : IHttpApplication<IFeatureCollection>
    {
        public IFeatureCollection CreateContext(IFeatureCollection contextFeatures) => contextFeatures;

        public async Task ProcessRequestAsync(IFeatureCollection context)
        {
            var answer = respond(context.GetRequiredFeature<IHttpRequestFeature>().Path);
            var response = context.GetRequiredFeature<IHttpResponseFeature>();
            response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }

            var body = Encoding.UTF8.GetBytes(answer.Body);
            response.Headers.ContentLength = body.Length;
            await context.GetRequiredFeature<IHttpResponseBodyFeature>().Writer.WriteAsync(body);
        }

        public void DisposeContext(IFeatureCollection context, Exception? exception)
        {
        }
    }
}
