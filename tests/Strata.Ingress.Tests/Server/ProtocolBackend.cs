using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.Ingress.Tests.Server;

/// <summary>How a <see cref="ProtocolBackend"/> listens.</summary>
public enum BackendListener
{
    /// <summary>HTTP/1.1 over TLS with a self-signed certificate (backend-protocol HTTPS).</summary>
    Https,

    /// <summary>HTTP/2 without TLS, prior knowledge (backend-protocol GRPC, nginx's grpc_pass grpc://).</summary>
    H2c,

    /// <summary>HTTP/2 over TLS by ALPN, self-signed (backend-protocol GRPCS).</summary>
    H2Tls,
}

/// <summary>
/// A real backend on 127.0.0.1 (a free port) for the backend-protocol annotation. Plain requests get
/// "NAME PROTOCOL https|http PATH"; gRPC requests (content-type application/grpc) are served as the unary method
/// /strata.test.Greeter/SayHello: the length-prefixed request message is read and "hello MESSAGE via PROTOCOL" is
/// answered in one frame, with grpc-status 0 in the trailers (the gRPC over HTTP/2 wire format).
/// </summary>
public sealed class ProtocolBackend : IAsyncDisposable
{
    public const string GreeterMethod = "/strata.test.Greeter/SayHello";

    private readonly WebApplication _app;

    private ProtocolBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<ProtocolBackend> StartAsync(string name, BackendListener listener)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = listener == BackendListener.H2c ? null : SelfSigned(name);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = listener == BackendListener.Https ? HttpProtocols.Http1 : HttpProtocols.Http2;
            if (certificate is not null)
            {
                o.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        app.Run(async context =>
        {
            var request = context.Request;
            if (request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                await GreetAsync(context);
                return;
            }

            await context.Response.WriteAsync($"{name} {request.Protocol} {(request.IsHttps ? "https" : "http")} {request.Path}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ProtocolBackend(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task GreetAsync(HttpContext context)
    {
        if (context.Request.Path != GreeterMethod)
        {
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "12"); // UNIMPLEMENTED
            context.Response.AppendTrailer("grpc-message", $"unknown method {context.Request.Path}");
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var frame = body.ToArray();
        // A message: compressed flag (1 byte), length (4 bytes, big-endian), the message.
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4));
        var message = Encoding.UTF8.GetString(frame, 5, length);
        var reply = Encoding.UTF8.GetBytes($"hello {message} via {context.Request.Protocol}{(context.Request.IsHttps ? " tls" : "")}");
        var framed = new byte[5 + reply.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1, 4), (uint)reply.Length);
        reply.CopyTo(framed, 5);
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(framed);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}.backend.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs the key in a form it can use for TLS: a PKCS#12 round trip.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
