using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Strata.Controllers.Client;

/// <summary>
/// <see cref="IKubeClient"/> over HTTPS against any API server, authenticated as a kubeconfig says (KubernetesClient's
/// pipeline: TLS, client certificates, tokens, exec plugins). Requests are built from <see cref="ResourceType"/> paths;
/// a <c>metav1.Status</c> failure becomes a <see cref="KubeApiException"/>.
/// </summary>
public sealed class RemoteKubeClient : IKubeClient, ITokenRequester, IDisposable
{
    // client-go's reflector asks for watches of 5-10 minutes (minWatchTimeout) so that load spreads over servers.
    private const int WatchTimeoutSeconds = 300;

    private readonly Pipeline _pipeline;

    public RemoteKubeClient(KubernetesClientConfiguration config)
    {
        // Watches are long requests; each request is bounded by its cancellation token and the watch's timeoutSeconds.
        config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        _pipeline = new Pipeline(config);
    }

    /// <summary>From a kubeconfig file (its current context unless <paramref name="context"/> names another).</summary>
    public static RemoteKubeClient FromKubeconfig(string path, string? context = null) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context));

    public async Task<ObjectList<T>> ListAsync<T>(ListRequest request, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.Of<T>();
        var json = await SendAsync(HttpMethod.Get, type.CollectionPath(request.Namespace) + Query(request, null), null, cancellationToken);
        var list = JsonNode.Parse(json)!.AsObject();
        var items = list["items"] as JsonArray ?? [];
        return new ObjectList<T>(
            [.. items.Select(i => FromJson<T>(WithKind(i!.AsObject(), type)))],
            (string?)list["metadata"]?["resourceVersion"] ?? "");
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ListRequest request, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.Of<T>();
        var path = type.CollectionPath(request.Namespace) + Query(request, resourceVersion);
        using var response = await SendRawAsync(HttpMethod.Get, path, null, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                yield break; // The connection dropped: the informer resumes from the last version it saw.
            }

            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            var e = JsonNode.Parse(line)!.AsObject();
            var obj = e["object"] as JsonObject ?? [];
            switch ((string?)e["type"])
            {
                case "ADDED":
                    yield return new WatchEvent<T>(WatchEventKind.Added, FromJson<T>(WithKind(obj, type)));
                    break;
                case "MODIFIED":
                    yield return new WatchEvent<T>(WatchEventKind.Modified, FromJson<T>(WithKind(obj, type)));
                    break;
                case "DELETED":
                    yield return new WatchEvent<T>(WatchEventKind.Deleted, FromJson<T>(WithKind(obj, type)));
                    break;
                case "ERROR":
                    throw StatusException(obj, HttpStatusCode.InternalServerError);
                default:
                    break;
            }
        }
    }

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.Of<T>();
        try
        {
            return FromJson<T>(WithKind(Parse(await SendAsync(HttpMethod.Get, type.ObjectPath(ns, name), null, cancellationToken)), type));
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.Of<T>();
        var body = WithKind(Parse(KubernetesJson.Serialize(obj)), type);
        return FromJson<T>(WithKind(Parse(await SendAsync(HttpMethod.Post, type.CollectionPath(obj.Metadata?.NamespaceProperty), body, cancellationToken)), type));
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, "", cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => PutAsync(obj, "/status", cancellationToken);

    public async Task<bool> DeleteAsync<T>(string? ns, string name, DeleteRequest? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var body = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" };
        if (options?.PropagationPolicy is { } policy)
        {
            body["propagationPolicy"] = policy;
        }

        if (options?.GracePeriodSeconds is { } grace)
        {
            body["gracePeriodSeconds"] = grace;
        }

        if (options?.PreconditionUid is { } uid)
        {
            body["preconditions"] = new JsonObject { ["uid"] = uid };
        }

        try
        {
            await SendAsync(HttpMethod.Delete, ResourceType.Of<T>().ObjectPath(ns, name), body, cancellationToken);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    public async Task BindAsync(string ns, string podName, string nodeName, CancellationToken cancellationToken = default)
    {
        var binding = new JsonObject
        {
            ["kind"] = "Binding",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = podName, ["namespace"] = ns },
            ["target"] = new JsonObject { ["kind"] = "Node", ["apiVersion"] = "v1", ["name"] = nodeName },
        };
        await SendAsync(HttpMethod.Post, ResourceType.Of<V1Pod>().ObjectPath(ns, podName) + "/binding", binding, cancellationToken);
    }

    public async Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken = default)
    {
        var spec = new JsonObject
        {
            ["audiences"] = new JsonArray([.. request.Audiences.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["expirationSeconds"] = request.ExpirationSeconds,
        };
        if (request.PodName is { } pod)
        {
            spec["boundObjectRef"] = new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["name"] = pod, ["uid"] = request.PodUid };
        }

        var body = new JsonObject { ["kind"] = "TokenRequest", ["apiVersion"] = "authentication.k8s.io/v1", ["metadata"] = new JsonObject { ["name"] = serviceAccount }, ["spec"] = spec };
        var answer = Parse(await SendAsync(HttpMethod.Post, ResourceType.Of<V1ServiceAccount>().ObjectPath(ns, serviceAccount) + "/token", body, cancellationToken));
        var token = (string?)answer["status"]?["token"] ?? throw new KubeApiException(500, "InternalError", $"the TokenRequest for {ns}/{serviceAccount} was answered without a token");
        var expires = DateTimeOffset.Parse((string?)answer["status"]?["expirationTimestamp"] ?? "0001-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        return new ServiceAccountToken(token, expires);
    }

    public async Task<V1Namespace> FinalizeNamespaceAsync(V1Namespace ns, CancellationToken cancellationToken = default)
    {
        var type = ResourceType.Of<V1Namespace>();
        var body = WithKind(Parse(KubernetesJson.Serialize(ns)), type);
        return FromJson<V1Namespace>(WithKind(Parse(await SendAsync(HttpMethod.Put, type.ObjectPath(null, ns.Metadata.Name) + "/finalize", body, cancellationToken)), type));
    }

    public void Dispose() => _pipeline.Dispose();

    private async Task<T> PutAsync<T>(T obj, string subresource, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var type = ResourceType.Of<T>();
        var body = WithKind(Parse(KubernetesJson.Serialize(obj)), type);
        var path = type.ObjectPath(obj.Metadata.NamespaceProperty, obj.Metadata.Name) + subresource;
        return FromJson<T>(WithKind(Parse(await SendAsync(HttpMethod.Put, path, body, cancellationToken)), type));
    }

    private async Task<string> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.SendAsync(method, path, body?.ToJsonString(), cancellationToken);
        }
        catch (HttpOperationException e)
        {
            var code = e.Response?.StatusCode ?? HttpStatusCode.InternalServerError;
            JsonObject? status = null;
            try
            {
                status = JsonNode.Parse(e.Response?.Content ?? "") as JsonObject;
            }
            catch (JsonException)
            {
            }

            throw status is not null && (string?)status["kind"] == "Status"
                ? StatusException(status, code)
                : new KubeApiException((int)code, code.ToString(), e.Response?.Content is { Length: > 0 } text ? text : e.Message);
        }
    }

    private static KubeApiException StatusException(JsonObject status, HttpStatusCode fallback)
    {
        var code = (int?)status["code"] ?? (int)fallback;
        var reason = (string?)status["reason"] ?? (code == 410 ? "Expired" : ((HttpStatusCode)code).ToString());
        return new KubeApiException(code, reason, (string?)status["message"] ?? reason);
    }

    private static string Query(ListRequest request, string? watchFrom)
    {
        var query = new List<string>();
        if (request.LabelSelector is { Length: > 0 } labels)
        {
            query.Add("labelSelector=" + Uri.EscapeDataString(labels));
        }

        if (request.FieldSelector is { Length: > 0 } fields)
        {
            query.Add("fieldSelector=" + Uri.EscapeDataString(fields));
        }

        if (watchFrom is not null)
        {
            query.Add("watch=true");
            query.Add("timeoutSeconds=" + WatchTimeoutSeconds);
            if (watchFrom.Length > 0)
            {
                query.Add("resourceVersion=" + Uri.EscapeDataString(watchFrom));
            }
        }

        return query.Count == 0 ? "" : "?" + string.Join('&', query);
    }

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    // List items come without kind and apiVersion, as from kube-apiserver; give them what the typed models expect.
    private static JsonObject WithKind(JsonObject obj, ResourceType type)
    {
        obj["kind"] ??= type.Kind;
        obj["apiVersion"] ??= type.ApiVersion;
        return obj;
    }

    private static T FromJson<T>(JsonObject json) => KubernetesJson.Deserialize<T>(json.ToJsonString());

    /// <summary>KubernetesClient's authenticated request pipeline, for requests the generated API does not cover generically.</summary>
    private sealed class Pipeline(KubernetesClientConfiguration config) : Kubernetes(config)
    {
        public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body, CancellationToken cancellationToken)
        {
            var request = new HttpRequestMessage(method, new Uri(BaseUri.ToString().TrimEnd('/') + path));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            return SendRequestRaw(null!, request, cancellationToken);
        }
    }
}
