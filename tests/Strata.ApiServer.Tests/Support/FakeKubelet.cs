using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.ApiServer.Tests.Support;

/// <summary>
/// A stand-in for a node's kubelet server, so the API server's proxying can be tested before the agent exists:
/// HTTPS with a self-signed certificate, <c>/containerLogs/NS/POD/CONTAINER</c> answering fixed lines, and
/// <c>/exec/NS/POD/CONTAINER</c> speaking the v5.channel.k8s.io WebSocket protocol that echoes its command's arguments.
/// It records each request's path, query and Authorization header.
/// </summary>
public sealed class FakeKubelet : IAsyncDisposable
{
    private readonly WebApplication _app;

    private System.Net.Sockets.Socket? _listener;

    private FakeKubelet(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public ConcurrentQueue<(string PathAndQuery, string Authorization)> Requests { get; } = new();

    /// <summary>Starts it on 127.0.0.1; with <paramref name="netns"/>, on that network namespace's loopback.</summary>
    public static async Task<FakeKubelet> StartAsync(Strata.Netlink.NetworkNamespace? netns = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-kubelet", key, HashAlgorithmName.SHA256);
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var socket = netns?.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
        if (socket is not null)
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Listen();
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            if (socket is null)
            {
                k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate));
            }
            else
            {
                k.ListenHandle((ulong)socket.Handle, l => l.UseHttps(certificate));
            }
        });
        var app = builder.Build();
        FakeKubelet? kubelet = null;
        app.UseWebSockets();
        app.Run(async context =>
        {
            kubelet!.Requests.Enqueue((context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString()));
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/containerLogs/", StringComparison.Ordinal))
            {
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("line 1\nline 2\n");
            }
            else if (path.StartsWith("/exec/", StringComparison.Ordinal) && context.WebSockets.IsWebSocketRequest)
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync("v5.channel.k8s.io");
                var words = context.Request.Query["command"].Skip(1);
                await SendAsync(socket, 1, string.Join(' ', words) + "\n");
                await SendAsync(socket, 3, """{"metadata":{},"status":"Success"}""");
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
        await app.StartAsync();
        var port = socket is null
            ? new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port
            : ((IPEndPoint)socket.LocalEndPoint!).Port;
        kubelet = new FakeKubelet(app, port) { _listener = socket };
        return kubelet;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _listener?.Dispose();
    }

    /// <summary>One frame of the channel protocol: the channel's number, then the bytes.</summary>
    private static Task SendAsync(WebSocket socket, byte channel, string text) =>
        socket.SendAsync((byte[])[channel, .. Encoding.UTF8.GetBytes(text)], WebSocketMessageType.Binary, true, CancellationToken.None);
}
