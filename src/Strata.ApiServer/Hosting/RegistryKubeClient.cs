using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Selection;
using Strata.ApiServer.Storage;
using Strata.Controllers.Client;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// The controllers' client when they run inside <c>strata apiserver</c>: straight to the registry, with the same
/// defaulting, validation, admission and watch semantics as a request over HTTPS, and no TLS or JSON framing between.
/// </summary>
public sealed class RegistryKubeClient(ObjectRegistry registry, Authentication.TokenRequests? tokens = null) : IKubeClient, ITokenRequester
{
    public async Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken = default)
    {
        if (tokens is null)
        {
            throw new KubeApiException(404, "NotFound", "this API server issues no service account tokens");
        }

        var spec = new JsonObject
        {
            ["audiences"] = new JsonArray([.. request.Audiences.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["expirationSeconds"] = request.ExpirationSeconds,
        };
        if (request.PodName is { } pod)
        {
            spec["boundObjectRef"] = new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["name"] = pod, ["uid"] = request.PodUid };
        }

        var answer = await Call(() => tokens.CreateAsync(ns, serviceAccount, new JsonObject { ["spec"] = spec }, cancellationToken));
        return new ServiceAccountToken((string)answer["status"]!["token"]!, DateTimeOffset.Parse((string)answer["status"]!["expirationTimestamp"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<ObjectList<T>> ListAsync<T>(ListRequest request, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = Resource<T>();
        var list = await Call(() => registry.ListAsync(resource, request.Namespace, Options(resource, request), cancellationToken));
        return new ObjectList<T>([.. list.Items.Select(FromJson<T>)], ResourceHandler.Revision(list.Revision));
    }

    public async IAsyncEnumerable<Controllers.Client.WatchEvent<T>> WatchAsync<T>(ListRequest request, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = Resource<T>();
        var options = Options(resource, request);
        IWatchSubscription subscription;
        try
        {
            subscription = registry.Store.Watch(resource.Prefix(request.Namespace), ObjectMeta.ParseRevision(resourceVersion, "resourceVersion"));
        }
        catch (RevisionCompactedException e)
        {
            throw new KubeApiException(410, "Expired", e.Message);
        }
        catch (ApiException e)
        {
            throw Translate(e);
        }

        using (subscription)
        {
            var reader = subscription.Events;
            while (true)
            {
                try
                {
                    if (!await reader.WaitToReadAsync(cancellationToken))
                    {
                        yield break;
                    }
                }
                catch (WatcherTooSlowException)
                {
                    yield break; // The informer resumes from the last version it saw.
                }

                while (reader.TryRead(out var e))
                {
                    if (WatchStream.Translate(e, options) is { } seen)
                    {
                        var kind = seen.Type switch
                        {
                            "ADDED" => WatchEventKind.Added,
                            "DELETED" => WatchEventKind.Deleted,
                            _ => WatchEventKind.Modified,
                        };
                        yield return new Controllers.Client.WatchEvent<T>(kind, FromJson<T>(seen.Object));
                    }
                }
            }
        }
    }

    public async Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return FromJson<T>(await registry.GetAsync(Resource<T>(), ns, name, cancellationToken));
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    public async Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = Resource<T>();
        return FromJson<T>(await Call(() => registry.CreateAsync(resource, obj.Metadata?.NamespaceProperty, ToJson(obj), cancellationToken: cancellationToken)));
    }

    public Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => Update(obj, null, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> => Update(obj, "status", cancellationToken);

    public async Task<bool> DeleteAsync<T>(string? ns, string name, DeleteRequest? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var delete = new DeleteOptions(options?.GracePeriodSeconds, options?.PropagationPolicy, options?.PreconditionUid);
        try
        {
            await registry.DeleteAsync(Resource<T>(), ns, name, delete, cancellationToken);
            return true;
        }
        catch (ApiException e) when (e.Code == 404)
        {
            return false;
        }
        catch (ApiException e)
        {
            throw Translate(e);
        }
    }

    public Task BindAsync(string ns, string podName, string nodeName, CancellationToken cancellationToken = default) =>
        Call(() => PodBinding.BindAsync(registry, ns, podName, nodeName, cancellationToken));

    public async Task<V1Namespace> FinalizeNamespaceAsync(V1Namespace ns, CancellationToken cancellationToken = default) =>
        FromJson<V1Namespace>(await Call(() => NamespaceFinalize.FinalizeAsync(registry, ns.Metadata.Name, ToJson(ns), cancellationToken)));

    private async Task<T> Update<T>(T obj, string? subresource, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var resource = Resource<T>();
        var updated = await Call(() => registry.UpdateAsync(resource, obj.Metadata.NamespaceProperty, obj.Metadata.Name, ToJson(obj), subresource, cancellationToken: cancellationToken));
        return FromJson<T>(updated);
    }

    private ResourceInfo Resource<T>()
    {
        var type = ResourceType.Of<T>();
        return registry.Catalog.Find(type.Group, type.Version, type.Plural)
            ?? throw new KubeApiException(404, "NotFound", $"the server could not find the requested resource ({type.Plural}.{type.Group})");
    }

    private static ListOptions Options(ResourceInfo resource, ListRequest request)
    {
        try
        {
            return new ListOptions(LabelSelector.Parse(request.LabelSelector), FieldSelector.Parse(request.FieldSelector, resource.Group, resource.Kind));
        }
        catch (FormatException e)
        {
            throw new KubeApiException(400, "BadRequest", e.Message);
        }
    }

    private static async Task<TResult> Call<TResult>(Func<Task<TResult>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException e)
        {
            throw Translate(e);
        }
    }

    private static KubeApiException Translate(ApiException e) => new(e.Code, e.Reason, e.Message);

    private static JsonObject ToJson<T>(T obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    private static T FromJson<T>(JsonObject json) => KubernetesJson.Deserialize<T>(json.ToJsonString());
}
