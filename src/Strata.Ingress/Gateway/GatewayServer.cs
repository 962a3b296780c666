using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Ingress.Proxy;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.Ingress.Gateway;

/// <summary>
/// Kestrel for the Gateway listeners: one server per port the configuration names (HTTP/1.1, or HTTPS with HTTP/1.1 and
/// HTTP/2 by ALPN and the listener certificate chosen by SNI), started and stopped as listeners come and go. Ports
/// that stay keep their server, so a configuration change drops nothing.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly IPAddress _address;
    private readonly string _addressText;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Dictionary<int, (bool Https, WebApplication App)> _servers = [];
    private readonly Dictionary<int, string> _problems = [];
    private readonly SemaphoreSlim _lock = new(1, 1);

    public GatewayServer(IPAddress address, IHttpForwarder forwarder, ILoggerFactory loggers)
    {
        _address = address;
        _addressText = address.ToString();
        _loggers = loggers;
        _logger = loggers.CreateLogger("Strata.Ingress.Gateway");
        Proxy = new GatewayProxy(forwarder, _logger);
    }

    public GatewayProxy Proxy { get; }

    /// <summary>The ports that could not be listened on, with the error.</summary>
    public IReadOnlyDictionary<int, string> PortProblems
    {
        get
        {
            lock (_problems)
            {
                return new Dictionary<int, string>(_problems);
            }
        }
    }

    /// <summary>A forwarder from a throwaway service provider (YARP's forwarder is a singleton without state of its own).</summary>
    public static IHttpForwarder CreateForwarder()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHttpForwarder();
        return services.BuildServiceProvider().GetRequiredService<IHttpForwarder>();
    }

    /// <summary>Swaps the configuration in, then opens the ports it adds and closes those it drops.</summary>
    public async Task ApplyAsync(GatewayConfig config, CancellationToken cancellationToken = default)
    {
        Proxy.Update(config);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var wanted = config.Ports.ToDictionary(p => p.Port, p => p.Https);
            foreach (var (port, server) in _servers.ToList())
            {
                if (!wanted.TryGetValue(port, out var https) || https != server.Https)
                {
                    _servers.Remove(port);
                    await server.App.StopAsync(CancellationToken.None);
                    await server.App.DisposeAsync();
                }
            }

            lock (_problems)
            {
                _problems.Clear();
            }

            foreach (var (port, https) in wanted)
            {
                if (_servers.ContainsKey(port))
                {
                    continue;
                }

                try
                {
                    _servers[port] = (https, await StartPortAsync(port, https, cancellationToken));
                    GatewayLog.Listening(_logger, _addressText, port, https ? "HTTPS" : "HTTP");
                }
                catch (IOException e)
                {
                    GatewayLog.ListenFailed(_logger, _addressText, port, e.Message);
                    lock (_problems)
                    {
                        _problems[port] = e.Message;
                    }
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync();
        foreach (var server in _servers.Values)
        {
            await server.App.StopAsync(CancellationToken.None);
            await server.App.DisposeAsync();
        }

        _servers.Clear();
        _lock.Release();
        Proxy.Dispose();
    }

    private async Task<WebApplication> StartPortAsync(int port, bool https, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(_loggers));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(_address, port, o =>
            {
                if (!https)
                {
                    o.Protocols = HttpProtocols.Http1;
                    return;
                }

                o.Protocols = HttpProtocols.Http1AndHttp2;
                o.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, name) => Proxy.Config.PortFor(port)?.CertificateFor(name),
                });
            });
        });
        var app = builder.Build();
        app.Run(context => Proxy.HandleAsync(context, port));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }
}
