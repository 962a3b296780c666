using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Strata.Ingress.Tests.Conformance;

/// <summary>
/// What the conformance echoserver (ingress-controller-conformance images/echoserver/echoserver.go) answers: the request
/// as it arrived (RequestURI, Host, method, proto, headers under Go's canonical names) and the pod's context.
/// </summary>
public sealed record CapturedRequest(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("proto")] string Proto,
    [property: JsonPropertyName("headers")] Dictionary<string, string[]> Headers,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("ingress")] string Ingress,
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("pod")] string Pod);

/// <summary>
/// One echo "pod": a Kestrel server on 127.0.0.1 (a free port) behaving like the conformance echoserver. Like Go's
/// net/http it writes Content-Length and Date but no Server header, so a Server header seen by the client is the
/// ingress controller's own.
/// </summary>
public sealed class ConformanceEcho : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConformanceEcho(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<ConformanceEcho> StartAsync(string ns, string ingress, string service, string pod)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var request = context.Request;
            if (request.Path == "/health")
            {
                await context.Response.WriteAsync("OK");
                return;
            }

            var headers = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var (name, values) in request.Headers)
            {
                // Go's Request.Header has no Host: it is the Host field.
                if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
                {
                    headers[CanonicalHeaderKey(name)] = [.. values.Select(v => v ?? "")];
                }
            }

            var echo = new CapturedRequest(context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget, request.Host.Value ?? "",
                request.Method, request.Protocol, headers, ns, ingress, service, pod);
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(echo));
            context.Response.ContentType = "application/json";
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ConformanceEcho(app, new Uri(address).Port);
    }

    /// <summary>Go's textproto.CanonicalMIMEHeaderKey: upper case after the start and each '-', lower case elsewhere.</summary>
    public static string CanonicalHeaderKey(string name)
    {
        var chars = name.ToCharArray();
        var upper = true;
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = upper ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            upper = chars[i] == '-';
        }

        return new string(chars);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
