using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Ingress.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.Ingress.Proxy;

/// <summary>Where the proxy listens: an HTTP and an HTTPS port (0 picks a free one) on one address.</summary>
public sealed record IngressListenOptions(IPAddress Address, int HttpPort = 80, int HttpsPort = 443);

/// <summary>
/// Kestrel serving the ingress proxy: HTTP/1.1 on the HTTP port; HTTP/1.1 and HTTP/2 (ALPN) on the HTTPS port, with the
/// certificate chosen by SNI from the current route table (the host's Secret, else the fake certificate).
/// </summary>
public sealed class IngressServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IngressServer(WebApplication app, IngressProxy proxy, int httpPort, int httpsPort)
    {
        _app = app;
        Proxy = proxy;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
    }

    public IngressProxy Proxy { get; }

    public int HttpPort { get; }

    public int HttpsPort { get; }

    public X509Certificate2 FakeCertificate { get; private init; } = null!;

    public static async Task<IngressServer> StartAsync(IngressListenOptions listen, X509Certificate2 fakeCertificate, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Kestrel's and YARP's own logs: warnings and errors only (their per-request lines would cost more than the proxying).
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggers));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Hosting starts an Activity and a logging scope for every request as soon as its category is enabled at all
        // (HostingApplicationDiagnostics.BeginRequest checks Critical); it logs nothing at Warning and above that the
        // proxy needs (an application's unhandled exception is Kestrel's log), so it is off.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.AddHttpForwarder();
        // With inline socket completions the request stays on the epoll thread that read it (see ProxyProcess).
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = ProxyProcess.InlineCompletions);
        IngressProxy? proxy = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // nginx always answers with its own Server header (the upstream's is hidden, proxy_hide_header): Kestrel's here.
            kestrel.AddServerHeader = true;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(listen.Address, listen.HttpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.Listen(listen.Address, listen.HttpsPort, o =>
            {
                o.Protocols = HttpProtocols.Http1AndHttp2;
                o.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, name) => SelectCertificate(proxy!.Table, name, fakeCertificate),
                });
            });
        });
        var app = builder.Build();
        proxy = new IngressProxy(app.Services.GetRequiredService<IHttpForwarder>(), loggers.CreateLogger("Strata.Ingress.Proxy"));
        app.Run(proxy.HandleAsync);
        await app.StartAsync(cancellationToken);
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var http = PortOf(addresses, "http://");
        var https = PortOf(addresses, "https://");
        proxy.HttpsPort = https;
        return new IngressServer(app, proxy, http, https) { FakeCertificate = fakeCertificate };
    }

    /// <summary>The certificate for an SNI name: the TLS binding of the server block it selects, else the fake one.</summary>
    public static X509Certificate2 SelectCertificate(RouteTable table, string? serverName, X509Certificate2 fake) =>
        string.IsNullOrEmpty(serverName) ? fake : table.FindHost(RouteMatcher.NormalizeHost(serverName)).Tls?.Certificate ?? fake;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Proxy.Dispose();
    }

    private static int PortOf(ICollection<string> addresses, string scheme) =>
        new Uri(addresses.First(a => a.StartsWith(scheme, StringComparison.Ordinal)).Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
}

/// <summary>Hands the web host's loggers to the caller's factory, so that its providers (the console) print them.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory loggers) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
