using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.GarbageCollection;

/// <summary>
/// One kind the collector watches (graph_builder.go's monitors): its shared informer indexed by uid and by owner uid,
/// which together form the owner→dependents graph, and the writes the collector makes to objects of that kind.
/// </summary>
internal interface IMonitor
{
    string Group { get; }

    string Kind { get; }

    bool Namespaced { get; }

    IInformer Informer { get; }

    IReadOnlyList<IKubernetesObject<V1ObjectMeta>> List();

    IKubernetesObject<V1ObjectMeta>? Get(string key);

    IKubernetesObject<V1ObjectMeta>? ByUid(string uid);

    IReadOnlyList<IKubernetesObject<V1ObjectMeta>> DependentsOf(string ownerUid);

    void OnChange(Action<IKubernetesObject<V1ObjectMeta>?, IKubernetesObject<V1ObjectMeta>> changed, Action<IKubernetesObject<V1ObjectMeta>> deleted);

    /// <summary>Whether any live object (not the cache) names <paramref name="ownerUid"/> as owner (only with blockOwnerDeletion, if <paramref name="blockingOnly"/>).</summary>
    Task<bool> HasLiveDependentAsync(string? ns, string ownerUid, bool blockingOnly, CancellationToken cancellationToken);

    /// <summary>A live read (not the cache), to avoid acting on a stale view.</summary>
    Task<V1ObjectMeta?> GetLiveAsync(string? ns, string name, CancellationToken cancellationToken);

    /// <summary>Changes the live object's metadata if it still has <paramref name="uid"/>; retries on conflict.</summary>
    Task MutateAsync(string? ns, string name, string uid, Func<V1ObjectMeta, bool> change, CancellationToken cancellationToken);

    Task DeleteAsync(string? ns, string name, string uid, string propagationPolicy, CancellationToken cancellationToken);
}

internal sealed class Monitor<T> : IMonitor where T : class, IKubernetesObject<V1ObjectMeta>
{
    private const string UidIndex = "garbagecollector.uid";
    private const string OwnerIndex = "garbagecollector.owner-uid";

    private readonly IKubeClient _client;
    private readonly Informer<T> _informer;

    public Monitor(IKubeClient client, InformerFactory informers)
    {
        _client = client;
        _informer = informers.For<T>();
        _informer.AddIndex(UidIndex, o => o.Metadata.Uid is { } uid ? [uid] : []);
        _informer.AddIndex(OwnerIndex, o => o.Metadata.OwnerReferences?.Select(r => r.Uid).Distinct() ?? []);
        var type = ResourceType.Of<T>();
        Group = type.Group;
        Kind = type.Kind;
        Namespaced = type.Namespaced;
    }

    public string Group { get; }

    public string Kind { get; }

    public bool Namespaced { get; }

    public IInformer Informer => _informer;

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> List() => _informer.List();

    public IKubernetesObject<V1ObjectMeta>? Get(string key) => _informer.Get(key);

    public IKubernetesObject<V1ObjectMeta>? ByUid(string uid) => _informer.ByIndex(UidIndex, uid) is [var first, ..] ? first : null;

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> DependentsOf(string ownerUid) => _informer.ByIndex(OwnerIndex, ownerUid);

    public void OnChange(Action<IKubernetesObject<V1ObjectMeta>?, IKubernetesObject<V1ObjectMeta>> changed, Action<IKubernetesObject<V1ObjectMeta>> deleted) =>
        _informer.AddHandler(o => changed(null, o), (old, o) => changed(old, o), o => deleted(o));

    public async Task<bool> HasLiveDependentAsync(string? ns, string ownerUid, bool blockingOnly, CancellationToken cancellationToken) =>
        (await _client.ListAsync<T>(new ListRequest(Namespaced ? ns : null), cancellationToken)).Items
            .Any(o => o.Metadata.OwnerReferences?.Any(r => r.Uid == ownerUid && (!blockingOnly || r.BlockOwnerDeletion == true)) == true);

    public async Task<V1ObjectMeta?> GetLiveAsync(string? ns, string name, CancellationToken cancellationToken) =>
        (await _client.GetAsync<T>(ns, name, cancellationToken))?.Metadata;

    public Task MutateAsync(string? ns, string name, string uid, Func<V1ObjectMeta, bool> change, CancellationToken cancellationToken) =>
        _client.UpdateLiveAsync<T>(ns, name, uid, live => change(live.Metadata), cancellationToken);

    public async Task DeleteAsync(string? ns, string name, string uid, string propagationPolicy, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteAsync<T>(ns, name, new DeleteRequest(propagationPolicy, PreconditionUid: uid), cancellationToken);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            // The uid precondition failed: a new object took the name; it is not the dependent we meant.
        }
    }
}
