using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Yarp.ReverseProxy.Forwarder;

namespace Strata.ApiServer.Http;

/// <summary>
/// <c>pods/log</c> and <c>pods/exec</c>, proxied to the kubelet of the pod's node as kube-apiserver does
/// (pkg/registry/core/pod/strategy.go LogLocation and ExecLocation): the node's InternalIP and its
/// <c>status.daemonEndpoints.kubeletEndpoint.Port</c>, paths <c>/containerLogs/NS/POD/CONTAINER</c> and
/// <c>/exec/NS/POD/CONTAINER</c>. Exec's upgrade (WebSocket or SPDY) is forwarded by YARP's forwarder.
/// </summary>
public sealed class KubeletProxy(ObjectRegistry registry, IHttpForwarder forwarder, string token, string? kubeletNetworkNamespace = null) : IDisposable
{
    private const int DefaultKubeletPort = 10250;

    // kube-apiserver does not verify kubelet serving certificates unless --kubelet-certificate-authority is given.
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        ConnectCallback = kubeletNetworkNamespace is null ? null : (context, ct) => ConnectInAsync(kubeletNetworkNamespace, context, ct),
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = TimeSpan.FromSeconds(10),
#pragma warning disable CA5359 // As kube-apiserver without --kubelet-certificate-authority: kubelets serve self-signed certificates.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
    });

    public void Dispose() => _client.Dispose();

    /// <summary>A socket's network namespace is fixed when it is created: create it inside the lab, then connect from here.</summary>
    private static async ValueTask<Stream> ConnectInAsync(string netns, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var address = IPAddress.Parse(context.DnsEndPoint.Host.Trim('[', ']'));
        using var ns = Strata.Netlink.NetworkNamespace.Open(netns);
        var socket = ns.Run(() => new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task ProxyAsync(HttpContext context, ResourceInfo pods, string ns, string podName, string subresource)
    {
        var ct = context.RequestAborted;
        var pod = await registry.GetAsync(pods, ns, podName, ct);
        var container = Container(pod, podName, context.Request.Query["container"].ToString());
        var nodeName = (string?)pod["spec"]?["nodeName"];
        if (string.IsNullOrEmpty(nodeName))
        {
            throw ApiException.BadRequest($"pod {podName} does not have a host assigned");
        }

        var node = await registry.GetAsync(registry.Catalog.Get("", "nodes"), null, nodeName, ct);
        var address = (node["status"]?["addresses"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(a => (string?)a["type"] == "InternalIP")?["address"]?.ToString()
            ?? throw ApiException.BadRequest($"node {nodeName} has no InternalIP address to reach its kubelet at");
        var port = (int?)node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] ?? DefaultKubeletPort;
        var host = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;

        var (path, query) = subresource == "log"
            ? ($"/containerLogs/{ns}/{podName}/{container}", LogQuery(context.Request.Query))
            : ($"/exec/{ns}/{podName}/{container}", ExecQuery(context.Request.Query));
        // HTTP/1.1 as kubelets serve it (an exec upgrade is a WebSocket or SPDY over HTTP/1.1). YARP's idle timeout
        // (100 s by default) would cut a quiet `logs -f`: kube-apiserver has none for logs, and an exec idles out
        // after kubelet's --streaming-connection-idle-timeout (4 h).
        var config = new ForwarderRequestConfig
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            ActivityTimeout = subresource == "log" ? Timeout.InfiniteTimeSpan : TimeSpan.FromHours(4),
        };
        var error = await forwarder.SendAsync(context, $"https://{host}:{port}", _client, config,
            new KubeletTransformer(path, query, token, subresource == "log" ? podName : null));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString();
            throw new ApiException(502, "InternalError", $"error dialing backend: {failure}");
        }
    }

    /// <summary>The container asked for, or the only one; several without a choice is upstream's 400.</summary>
    private static string Container(JsonObject pod, string podName, string requested)
    {
        var names = (pod["spec"]?["containers"] as JsonArray)?.Select(c => (string?)c?["name"] ?? "").ToList() ?? [];
        if (requested.Length > 0)
        {
            var all = names.Concat((pod["spec"]?["initContainers"] as JsonArray)?.Select(c => (string?)c?["name"] ?? "") ?? []);
            return all.Contains(requested)
                ? requested
                : throw ApiException.BadRequest($"container {requested} is not valid for pod {podName}");
        }

        return names.Count == 1
            ? names[0]
            : throw ApiException.BadRequest($"a container name must be specified for pod {podName}, choose one of: [{string.Join(" ", names)}]");
    }

    private static QueryString LogQuery(IQueryCollection query)
    {
        var builder = new QueryBuilder();
        foreach (var name in new[] { "follow", "previous", "timestamps", "tailLines", "limitBytes", "sinceSeconds", "sinceTime" })
        {
            foreach (var value in query[name])
            {
                builder.Add(name, value ?? "");
            }
        }

        return builder.ToQueryString();
    }

    /// <summary>The kubelet names the streams input, output and error (pkg/registry/core/pod streamParams).</summary>
    private static QueryString ExecQuery(IQueryCollection query)
    {
        var builder = new QueryBuilder();
        foreach (var command in query["command"])
        {
            builder.Add("command", command ?? "");
        }

        foreach (var (from, to) in new[] { ("stdin", "input"), ("stdout", "output"), ("stderr", "error"), ("tty", "tty") })
        {
            if (query[from] is { Count: > 0 } value && value[0] is "true" or "1")
            {
                builder.Add(to, "1");
            }
        }

        return builder.ToQueryString();
    }

    /// <summary>
    /// A kubelet's error for <c>pods/log</c> (plain text) as the Status kube-apiserver makes of it
    /// (registry/generic/rest GenericHttpResponseChecker): 500 an InternalError, 400 a BadRequest with the kubelet's
    /// text, anything else the generic response for its code. Exec's failed upgrades pass through as they are.
    /// </summary>
    internal static JsonObject LogErrorStatus(int code, string text, string podName) => code switch
    {
        500 => ApiException.Status(500, "InternalError", $"Internal error occurred: {text}", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = text }) }),
        400 => ApiException.Status(400, "BadRequest", text, null),
        _ => ApiException.Status(code, GenericReason(code), $"{GenericMessage(code)} ( pods/log {podName})", new JsonObject { ["name"] = podName, ["kind"] = "pods/log" }),
    };

    private static string GenericReason(int code) => code switch
    {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };

    private static string GenericMessage(int code) => code switch
    {
        401 => "the server has asked for the client to provide credentials",
        403 => "the server does not allow access to the requested resource",
        404 => "the server could not find the requested resource",
        405 => "the server does not allow this method on the requested resource",
        409 => "the server reported a conflict",
        422 => "the server rejected our request due to an error in our request",
        429 => "the server has received too many requests and has asked us to try again later",
        503 => "the server is currently unable to handle the request",
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request",
        _ => $"the server responded with the status code {code} but did not return more information",
    };

    private sealed class KubeletTransformer(string path, QueryString query, string token, string? logPod) : HttpTransformer
    {
        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (logPod is null || proxyResponse is null || (int)proxyResponse.StatusCode is >= 200 and <= 206)
            {
                return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            }

            var text = (await proxyResponse.Content.ReadAsStringAsync(cancellationToken)).Trim();
            var status = LogErrorStatus((int)proxyResponse.StatusCode, text, logPod);
            httpContext.Response.StatusCode = (int)status["code"]!;
            httpContext.Response.ContentType = "application/json";
            await httpContext.Response.WriteAsync(status.ToJsonString(), cancellationToken);
            return false;
        }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix + path + query.Value);
            proxyRequest.Headers.Host = null;
            proxyRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }
}
