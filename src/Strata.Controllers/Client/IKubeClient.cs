using k8s;
using k8s.Models;

namespace Strata.Controllers.Client;

/// <summary>
/// What the control loops need from an API server. <c>strata apiserver</c> serves it in-process over its registry;
/// <see cref="RemoteKubeClient"/> serves it from any API server over HTTPS. Errors are <see cref="KubeApiException"/>.
/// </summary>
public interface IKubeClient
{
    /// <summary>A consistent list, with the resourceVersion to watch from.</summary>
    Task<ObjectList<T>> ListAsync<T>(ListRequest request, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>
    /// The changes after <paramref name="resourceVersion"/>, until the server ends the stream or the token is cancelled.
    /// A version that has been compacted away throws <see cref="KubeApiException"/> 410 (the informer then re-lists).
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ListRequest request, string resourceVersion, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>The object, or null if there is none.</summary>
    Task<T?> GetAsync<T>(string? ns, string name, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    Task<T> CreateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Replaces the object; a stale <c>metadata.resourceVersion</c> throws 409 Conflict.</summary>
    Task<T> UpdateAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Replaces the object's status (the <c>/status</c> subresource).</summary>
    Task<T> UpdateStatusAsync<T>(T obj, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>Deletes the object; false if it was already gone.</summary>
    Task<bool> DeleteAsync<T>(string? ns, string name, DeleteRequest? options = null, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta>;

    /// <summary>POST <c>pods/{name}/binding</c>: assigns a pending pod to a node.</summary>
    Task BindAsync(string ns, string podName, string nodeName, CancellationToken cancellationToken = default);

    /// <summary>
    /// PUT <c>namespaces/{name}/finalize</c>: replaces the namespace's <c>spec.finalizers</c> (the namespace controller
    /// drops "kubernetes" once the namespace is empty, and the API server then deletes it).
    /// </summary>
    Task<V1Namespace> FinalizeNamespaceAsync(V1Namespace ns, CancellationToken cancellationToken = default);
}

/// <summary>Which objects a list or watch covers: all namespaces when <see cref="Namespace"/> is null.</summary>
public sealed record ListRequest(string? Namespace = null, string? LabelSelector = null, string? FieldSelector = null)
{
    public static ListRequest All { get; } = new();
}

public sealed record ObjectList<T>(IReadOnlyList<T> Items, string ResourceVersion);

public enum WatchEventKind
{
    Added,
    Modified,
    Deleted,
}

public sealed record WatchEvent<T>(WatchEventKind Kind, T Object);

/// <summary>metav1.DeleteOptions as the controllers use them.</summary>
public sealed record DeleteRequest(string? PropagationPolicy = null, string? PreconditionUid = null, long? GracePeriodSeconds = null)
{
    public static DeleteRequest Background { get; } = new("Background");

    public static DeleteRequest Foreground { get; } = new("Foreground");

    public static DeleteRequest Orphan { get; } = new("Orphan");
}
