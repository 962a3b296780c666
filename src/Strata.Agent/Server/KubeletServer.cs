using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Strata.Agent.Server;

/// <summary>
/// The kubelet's HTTPS server on the node (pkg/kubelet/server): <c>/healthz</c>, <c>/containerLogs</c> and
/// <c>/exec</c>, which kube-apiserver reaches for <c>kubectl logs</c> and <c>kubectl exec</c>. Kestrel with a
/// self-signed certificate made at start, HTTP/1.1 only (exec upgrades to a WebSocket). It does not authenticate
/// its callers: anything that can reach the node's address on this port can read logs and exec.
/// </summary>
public sealed class KubeletServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;

    private KubeletServer(WebApplication app, CancellationTokenSource stopping, IPEndPoint endpoint)
    {
        _app = app;
        _stopping = stopping;
        Endpoint = endpoint;
    }

    /// <summary>The address and port actually bound.</summary>
    public IPEndPoint Endpoint { get; }

    public int Port => Endpoint.Port;

    public static async Task<KubeletServer> StartAsync(KubeletServerOptions options, IContainerLocator locator, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Strata.Agent.Server");
        var certificate = ServingCertificate.Create(options.Address, options.DnsNames);

        // The empty builder: the slim one watches the content root (the working directory, "/" for a lab agent)
        // for configuration files, which took seconds on a whole file system before the server listened.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(certificate);
            });
        });

        var app = builder.Build();
        app.UseWebSockets();
        var stopping = new CancellationTokenSource();
        var handler = new RequestHandler(locator, new ContainerLogStreamer(locator, options.FollowInterval, TimeProvider.System, logger), logger, stopping.Token);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            stopping.Dispose();
            certificate.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var endpoint = new IPEndPoint(options.Address, new Uri(address).Port);
        KubeletServerLog.Serving(logger, endpoint.ToString());
        return new KubeletServer(app, stopping, endpoint);
    }

    /// <summary>Stops serving: followed logs end and running execs are killed, as when a kubelet stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Routes by path, as the kubelet's restful container does, and logs every request at Debug.</summary>
    private sealed class RequestHandler(IContainerLocator locator, ContainerLogStreamer logs, ILogger logger, CancellationToken stopping)
    {
        public async Task HandleAsync(HttpContext context)
        {
            var request = context.Request;
            // Long requests (follow, exec) end when the client goes or the server stops.
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            context.RequestAborted = ended.Token;
            try
            {
                await DispatchAsync(context);
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                KubeletServerLog.RequestFailed(logger, request.Method, request.Path, e);
                if (!context.Response.HasStarted)
                {
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    await context.Response.WriteAsync(e.Message);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                KubeletServerLog.Request(logger, request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", context.Response.StatusCode);
            }
        }

        private async Task DispatchAsync(HttpContext context)
        {
            var request = context.Request;
            var path = request.Path.Value ?? "";
            if (path == "/healthz")
            {
                await TextAsync(context, StatusCodes.Status200OK, "ok");
                return;
            }

            switch (KubeletPath.Parse(path))
            {
                case { Endpoint: KubeletEndpoint.ContainerLogs } target when HttpMethods.IsGet(request.Method):
                    await logs.ServeAsync(context, target);
                    return;
                case { Endpoint: KubeletEndpoint.Exec } target when HttpMethods.IsGet(request.Method) || HttpMethods.IsPost(request.Method):
                    await ExecAsync(context, target);
                    return;
                case not null:
                    await TextAsync(context, StatusCodes.Status405MethodNotAllowed, "405: Method Not Allowed");
                    return;
                default:
                    await TextAsync(context, StatusCodes.Status404NotFound, "404 page not found");
                    return;
            }
        }

        private async Task ExecAsync(HttpContext context, KubeletPath target)
        {
            var (options, error) = ExecOptions.Parse(name => context.Request.Query[name].Select(v => v ?? "").ToList());
            if (options is null)
            {
                await TextAsync(context, StatusCodes.Status400BadRequest, error!);
                return;
            }

            // The kubelet only finds running containers for exec (kubelet.findContainer over running pods).
            var container = locator.Find(target.Namespace, target.Pod, target.Container);
            if (container is not { Running: true })
            {
                await TextAsync(context, StatusCodes.Status404NotFound, $"container not found (\"{target.Container}\")");
                return;
            }

            if (!context.WebSockets.IsWebSocketRequest)
            {
                // kubectl 1.32 asks for a WebSocket first and falls back to SPDY only when that upgrade fails.
                await TextAsync(context, StatusCodes.Status400BadRequest,
                    $"this kubelet serves exec over WebSockets only ({string.Join(", ", ChannelProtocol.Supported.Select(p => p.Name))}); SPDY is not supported");
                return;
            }

            var offered = context.WebSockets.WebSocketRequestedProtocols.ToList();
            if (ChannelProtocol.Negotiate(offered) is not { } protocol)
            {
                KubeletServerLog.ProtocolRefused(logger, string.Join(", ", offered));
                await TextAsync(context, StatusCodes.Status403Forbidden,
                    $"requested protocol(s) are not supported: [{string.Join(" ", offered)}]; supports [{string.Join(" ", ChannelProtocol.Supported.Select(p => p.Name))}]");
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = protocol.Name.Length > 0 ? protocol.Name : null,
                KeepAliveInterval = TimeSpan.FromSeconds(30),
            });
            using var connection = new ChannelConnection(socket, protocol);
            var command = string.Join(' ', options.Command);
            KubeletServerLog.ExecStarted(logger, target.Namespace, target.Pod, target.Container, command, protocol.Name, options.Tty);
            var status = await new ExecSession(connection, target, options, container, logger).RunAsync(context.RequestAborted);
            KubeletServerLog.ExecEnded(logger, target.Namespace, target.Pod, target.Container, command, status.ExitCode, status.Error);
        }

        private static async Task TextAsync(HttpContext context, int status, string text)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }
    }
}
