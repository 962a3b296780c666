using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Strata.Ingress.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.Ingress.Proxy;

/// <summary>
/// The data plane: each request is planned against the current <see cref="RouteTable"/> (swapped atomically on every
/// change, so a new configuration never drops a request in flight) and forwarded with YARP's <see cref="IHttpForwarder"/>
/// to an endpoint of the backend Service, round robin, trying the next endpoint when a body-less request cannot connect
/// (nginx's proxy_next_upstream error, 3 tries). Upstream connections are pooled and kept alive.
/// </summary>
public sealed class IngressProxy : IDisposable
{
    private const int MaxTries = 3;

    // One delegate for every request (a method group converted per call would allocate each time).
    private static readonly Func<int, int> SharedRandom = Random.Shared.Next;

    // The listening ports as X-Forwarded-Port text.
    private static readonly ConcurrentDictionary<int, string> PortTexts = new();

    private readonly IHttpForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TimeSpan, HttpMessageInvoker> _clients = new();
    private readonly ConcurrentDictionary<string, StrongBox> _cursors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(TimeSpan ReadTimeout, BackendProtocol Protocol), ForwarderRequestConfig> _configs = new();
    private RouteTable _table = RouteTable.Empty;

    public IngressProxy(IHttpForwarder forwarder, ILogger logger)
    {
        _forwarder = forwarder;
        _logger = logger;
    }

    public RouteTable Table => Volatile.Read(ref _table);

    /// <summary>The HTTPS port redirects point at (ingress-nginx leaves the port out when it is 443).</summary>
    public int HttpsPort { get; set; } = 443;

    public void Update(RouteTable table) => Volatile.Write(ref _table, table);

    public async Task HandleAsync(HttpContext context)
    {
        var http = context.Request;
        var client = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var incoming = new IncomingRequest(http.Scheme, http.Host.Value ?? "", http.Path.Value ?? "/", http.QueryString.Value ?? "", client,
            http.ContentLength, name => http.Headers.TryGetValue(name, out var v) ? v.ToString() : null);
        var plan = RequestPlanner.Plan(Table, incoming, HttpsPort, SharedRandom);
        if (plan is LocalResponse local)
        {
            await RespondAsync(context, local.Status, local.Location);
            return;
        }

        var forward = (ForwardPlan)plan;
        var settings = forward.Route.Settings;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = settings.MaxBodySize;
        }

        var https = settings.Protocol is BackendProtocol.Https or BackendProtocol.Grpcs;
        var invoker = _clients.GetOrAdd(settings.ConnectTimeout, CreateClient);
        var config = _configs.GetOrAdd((settings.ReadTimeout, settings.Protocol), CreateConfig);
        var transformer = new IngressTransformer(forward.PathAndQuery, client, context.Connection.LocalPort);
        var endpoints = forward.Backend.Endpoints;
        var start = Next(forward.Backend);
        var canRetry = http.ContentLength is null or 0 && !http.Headers.ContainsKey(HeaderNames.TransferEncoding);
        var tries = canRetry ? Math.Min(MaxTries, endpoints.Count) : 1;
        for (var attempt = 0; attempt < tries; attempt++)
        {
            var endpoint = endpoints[(start + attempt) % endpoints.Count];
            var error = await _forwarder.SendAsync(context, https ? endpoint.HttpsPrefix : endpoint.HttpPrefix, invoker, config, transformer);
            if (error == ForwarderError.None)
            {
                return;
            }

            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            ProxyLog.UpstreamFailed(_logger, forward.Backend.Name, endpoint.ToString(), error.ToString(), failure?.Message ?? "");
            if (context.Response.HasStarted)
            {
                return;
            }

            if (error != ForwarderError.Request || attempt + 1 == tries)
            {
                var status = error == ForwarderError.RequestTimedOut ? 504 : context.Response.StatusCode is >= 400 and not 502 ? context.Response.StatusCode : 502;
                await RespondAsync(context, status, null);
                return;
            }

            // The next endpoint gets a clean response.
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private int Next(ServiceTarget target)
    {
        var cursor = _cursors.GetOrAdd(target.Name, static _ => new StrongBox());
        return (int)((uint)Interlocked.Increment(ref cursor.Value) % (uint)target.Endpoints.Count);
    }

    private static async Task RespondAsync(HttpContext context, int status, string? location)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html";
        if (location is not null)
        {
            context.Response.Headers.Location = location;
        }

        await context.Response.WriteAsync(NginxPages.For(status));
    }

    // proxy_read_timeout, and the upstream HTTP version: 1.1 (proxy_http_version 1.1), or HTTP/2 for gRPC (grpc_pass).
    private static ForwarderRequestConfig CreateConfig((TimeSpan ReadTimeout, BackendProtocol Protocol) key) => new()
    {
        ActivityTimeout = key.ReadTimeout,
        Version = key.Protocol is BackendProtocol.Grpc or BackendProtocol.Grpcs ? HttpVersion.Version20 : HttpVersion.Version11,
        VersionPolicy = key.Protocol is BackendProtocol.Grpc or BackendProtocol.Grpcs ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
    };

    // nginx's upstream: no proxy, no redirects followed, no decompression, no certificate check (proxy_ssl_verify off),
    // idle keep-alive connections kept 60 s (upstream-keepalive-timeout).
    private static HttpMessageInvoker CreateClient(TimeSpan connectTimeout) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = null,
        ConnectTimeout = connectTimeout,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
#pragma warning disable CA5359 // ingress-nginx's proxy-ssl-verify defaults to off: backend-protocol HTTPS pods use self-signed certificates
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
#pragma warning restore CA5359
    });

    /// <summary>
    /// nginx's $request_id: 16 random bytes in hex. They only tell requests apart, so the fast generator is used instead
    /// of the cryptographic one (which took a tenth of the request handling).
    /// </summary>
    private static string NewRequestId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static string PortText(int port) => PortTexts.GetOrAdd(port, static p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private sealed class StrongBox
    {
        public int Value;
    }

    /// <summary>The headers of ingress-nginx's location template (nginx.tmpl), with X-Forwarded-For as $remote_addr.</summary>
    private sealed class IngressTransformer(string pathAndQuery, IPAddress client, int localPort) : HttpTransformer
    {
        // Set by the proxy whatever the client sent; "Proxy" is cleared (httpoxy).
        private static readonly string[] Replaced = ["X-Request-ID", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Scheme", "X-Original-Forwarded-For", "Proxy"];

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var request = httpContext.Request;
            proxyRequest.RequestUri = new Uri(destinationPrefix + pathAndQuery, UriKind.Absolute);
            var host = request.Host.Value ?? "";
            var address = (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
            var headers = proxyRequest.Headers;
            headers.Host = host;
            var incoming = request.Headers;
            var original = incoming["X-Forwarded-For"].ToString();
            foreach (var name in Replaced)
            {
                // Only what the client sent was copied: looking in Kestrel's headers is cheaper than removing blindly.
                if (incoming.ContainsKey(name))
                {
                    headers.Remove(name);
                }
            }

            headers.TryAddWithoutValidation("X-Request-ID", incoming["X-Request-ID"] is { Count: > 0 } id ? id.ToString() : NewRequestId());
            headers.TryAddWithoutValidation("X-Real-IP", address);
            headers.TryAddWithoutValidation("X-Forwarded-For", address);
            headers.TryAddWithoutValidation("X-Forwarded-Host", host);
            headers.TryAddWithoutValidation("X-Forwarded-Port", PortText(localPort));
            headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
            headers.TryAddWithoutValidation("X-Scheme", request.Scheme);
            if (original.Length > 0)
            {
                headers.TryAddWithoutValidation("X-Original-Forwarded-For", original);
            }
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            // nginx's proxy_hide_header default: the upstream's Server header is replaced by the proxy's own.
            httpContext.Response.Headers.Remove(HeaderNames.Server);
            return copy;
        }
    }
}

internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "upstream {Backend} at {Endpoint} failed: {Error} {Detail}")]
    public static partial void UpstreamFailed(ILogger logger, string backend, string endpoint, string error, string detail);
}
