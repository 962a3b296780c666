using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Ingress.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.Ingress.Gateway;

/// <summary>
/// The Gateway data plane: each request is planned against the current <see cref="GatewayConfig"/> (swapped atomically,
/// so a change never drops a request in flight) and forwarded with YARP's <see cref="IHttpForwarder"/> to an endpoint of
/// the chosen Service, round robin, over pooled keep-alive connections.
/// </summary>
public sealed class GatewayProxy : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Counter> _cursors = new(StringComparer.Ordinal);
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
    });

    private GatewayConfig _config = GatewayConfig.Empty;

    public GatewayProxy(IHttpForwarder forwarder, ILogger logger)
    {
        _forwarder = forwarder;
        _logger = logger;
    }

    public GatewayConfig Config => Volatile.Read(ref _config);

    public void Update(GatewayConfig config) => Volatile.Write(ref _config, config);

    public async Task HandleAsync(HttpContext context, int listenerPort)
    {
        var http = context.Request;
        var query = new Lazy<Dictionary<string, string>>(() => GatewayPlanner.ParseQuery(http.QueryString.Value ?? ""));
        var request = new GatewayRequest(listenerPort, http.Scheme, http.Method, http.Host.Value ?? "", http.Path.Value ?? "/", http.QueryString.Value ?? "",
            name => http.Headers.TryGetValue(name, out var v) ? v.ToString() : null,
            name => query.Value.GetValueOrDefault(name));
        var plan = GatewayPlanner.Plan(Config, request, Random.Shared.Next);
        if (plan is GatewayLocalResponse local)
        {
            context.Response.StatusCode = local.Status;
            if (local.Location is { } location)
            {
                context.Response.Headers.Location = location;
            }

            return;
        }

        var forward = (GatewayForward)plan;
        var endpoints = forward.Backend.Endpoints;
        var endpoint = endpoints[Next(forward.Backend)];
        if (forward.ResponseHeaders.Count > 0)
        {
            context.Response.OnStarting(() =>
            {
                foreach (var modifier in forward.ResponseHeaders)
                {
                    Apply(modifier, context.Response.Headers);
                }

                return Task.CompletedTask;
            });
        }

        var prefix = $"http://{new IPEndPoint(endpoint.Address, endpoint.Port)}";
        var error = await _forwarder.SendAsync(context, prefix, _client, ForwarderRequestConfig.Empty, new GatewayTransformer(forward));
        if (error != ForwarderError.None)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            GatewayLog.UpstreamFailed(_logger, forward.Backend.Name, endpoint.ToString(), error.ToString(), failure?.Message ?? "");
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>RequestHeaderModifier/ResponseHeaderModifier: set replaces, add appends to an existing value, remove deletes.</summary>
    public static void Apply(HeaderModifier modifier, IHeaderDictionary headers)
    {
        foreach (var (name, value) in modifier.Set)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in modifier.Add)
        {
            headers[name] = headers.TryGetValue(name, out var existing) && existing.Count > 0 ? $"{existing},{value}" : value;
        }

        foreach (var name in modifier.Remove)
        {
            headers.Remove(name);
        }
    }

    private int Next(ServiceTarget target)
    {
        var cursor = _cursors.GetOrAdd(target.Name, static _ => new Counter());
        return (int)((uint)Interlocked.Increment(ref cursor.Value) % (uint)target.Endpoints.Count);
    }

    private sealed class Counter
    {
        public int Value;
    }

    /// <summary>The request as the backend sees it: the rewritten path and Host, the filters' header changes, X-Forwarded-*.</summary>
    private sealed class GatewayTransformer(GatewayForward forward) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            var request = httpContext.Request;
            foreach (var modifier in forward.RequestHeaders)
            {
                Apply(modifier, request.Headers);
            }

            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix + forward.PathAndQuery, UriKind.Absolute);
            var headers = proxyRequest.Headers;
            headers.Host = forward.Host ?? request.Host.Value;
            var client = httpContext.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString() : null;
            var before = request.Headers["X-Forwarded-For"].ToString();
            headers.Remove("X-Forwarded-For");
            headers.Remove("X-Forwarded-Proto");
            headers.Remove("X-Forwarded-Host");
            if (client is not null)
            {
                headers.TryAddWithoutValidation("X-Forwarded-For", before.Length > 0 ? $"{before}, {client}" : client);
            }

            headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
            headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value ?? "");
        }
    }
}

internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "upstream {Backend} at {Endpoint} failed: {Error} {Detail}")]
    public static partial void UpstreamFailed(ILogger logger, string backend, string endpoint, string error, string detail);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "cannot listen on {Address}:{Port}: {Error}")]
    public static partial void ListenFailed(ILogger logger, string address, int port, string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "listening on {Address}:{Port} ({Protocol})")]
    public static partial void Listening(ILogger logger, string address, int port, string protocol);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "configuration {Generation} applied: {Ports} ports, {Gateways} gateways, {Routes} routes")]
    public static partial void Published(ILogger logger, int generation, int ports, int gateways, int routes);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "status of {Kind} {Name} not updated: {Error}")]
    public static partial void StatusFailed(ILogger logger, string kind, string name, string error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "sync failed, retrying: {Error}")]
    public static partial void SyncFailed(ILogger logger, string error);
}
