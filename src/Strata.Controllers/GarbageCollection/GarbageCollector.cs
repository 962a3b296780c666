using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.GarbageCollection;

/// <summary>
/// kube-controller-manager's "garbagecollector" (pkg/controller/garbagecollector/garbagecollector.go, graph_builder.go):
/// deletes dependents whose owners are all gone, empties owners deleted in the foreground before letting them go, and
/// releases the dependents of owners deleted with the orphan policy. The owner→dependents graph is the monitors'
/// owner-uid indexes over the shared informers; an owner missing from the cache is looked up live before anything is
/// deleted.
/// </summary>
public sealed class GarbageCollector : Controller
{
    public const string ControllerName = "garbagecollector";

    private readonly IKubeClient _client;
    private readonly Dictionary<string, IMonitor> _monitors;

    public GarbageCollector(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName), workers: 4)
    {
        _client = context.Client;
        IMonitor[] monitors =
        [
            new Monitor<V1Pod>(context.Client, context.Informers),
            new Monitor<V1ReplicaSet>(context.Client, context.Informers),
            new Monitor<V1Deployment>(context.Client, context.Informers),
            new Monitor<V1DaemonSet>(context.Client, context.Informers),
            new Monitor<V1Service>(context.Client, context.Informers),
            new Monitor<V1Endpoints>(context.Client, context.Informers),
            new Monitor<V1EndpointSlice>(context.Client, context.Informers),
            new Monitor<V1ConfigMap>(context.Client, context.Informers),
            new Monitor<V1Secret>(context.Client, context.Informers),
            new Monitor<V1ServiceAccount>(context.Client, context.Informers),
            new Monitor<V1Ingress>(context.Client, context.Informers),
            new Monitor<V1NetworkPolicy>(context.Client, context.Informers),
            new Monitor<V1Lease>(context.Client, context.Informers),
            new Monitor<V1Node>(context.Client, context.Informers),
        ];
        _monitors = monitors.ToDictionary(m => m.Kind);
        foreach (var monitor in monitors)
        {
            monitor.OnChange((old, obj) => OnChanged(monitor, old, obj), obj => OnDeleted(obj));
        }
    }

    protected override IEnumerable<IInformer> Informers => _monitors.Values.Select(m => m.Informer);

    protected override IEnumerable<string> InitialKeys() =>
        _monitors.Values.SelectMany(m => m.List().Where(Interesting).Select(o => Key(m, o)));

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var colon = key.IndexOf(':');
        if (!_monitors.TryGetValue(key[..colon], out var monitor) || monitor.Get(key[(colon + 1)..]) is not { } obj)
        {
            return;
        }

        var meta = obj.Metadata;
        if (meta.DeletionTimestamp is not null)
        {
            var finalizers = meta.Finalizers ?? [];
            if (finalizers.Contains(DependentDecision.OrphanFinalizer))
            {
                await OrphanDependentsAsync(monitor, meta, cancellationToken);
            }
            else if (finalizers.Contains(DependentDecision.ForegroundFinalizer))
            {
                await ProcessDeletingDependentsAsync(monitor, meta, cancellationToken);
            }

            return;
        }

        if (meta.OwnerReferences is not { Count: > 0 } || await DecideAsync(meta, cancellationToken) is not GcAction.Delete and not GcAction.PatchOwnerReferences)
        {
            return;
        }

        // Before acting, decide again on the live dependent (attemptToDeleteItem reads the latest object): the cache
        // may still show an ownerReference that an orphaning owner has already removed.
        var live = await monitor.GetLiveAsync(meta.NamespaceProperty, meta.Name, cancellationToken);
        if (live is null || live.Uid != meta.Uid || live.DeletionTimestamp is not null || live.OwnerReferences is not { Count: > 0 })
        {
            return;
        }

        meta = live;
        switch (await DecideAsync(meta, cancellationToken))
        {
            case GcAction.Delete delete:
                GarbageCollectorLog.DeletingDependent(Logger, monitor.Kind, key, delete.PropagationPolicy);
                await monitor.DeleteAsync(meta.NamespaceProperty, meta.Name, meta.Uid, delete.PropagationPolicy, cancellationToken);
                break;
            case GcAction.PatchOwnerReferences patch:
                GarbageCollectorLog.PatchingOwnerReferences(Logger, monitor.Kind, key, patch.RemoveUids.Count, patch.UnblockUids.Count);
                await monitor.MutateAsync(meta.NamespaceProperty, meta.Name, meta.Uid, current => PatchReferences(current, patch), cancellationToken);
                break;
        }
    }

    /// <summary>What to do with a dependent, from the states of the owners it references.</summary>
    private async Task<GcAction?> DecideAsync(V1ObjectMeta meta, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, OwnerState>();
        foreach (var reference in meta.OwnerReferences)
        {
            states[reference.Uid] = await OwnerStateAsync(reference, meta.NamespaceProperty, cancellationToken);
        }

        var hasDependents = HasDependents(meta.Uid);
        if (!hasDependents && states.ContainsValue(OwnerState.WaitingForDependents))
        {
            // Whether this dependent is deleted in the foreground too depends on its own dependents: ask the live
            // objects when the caches show none, so that one created just before the owner's deletion is not missed.
            hasDependents = await HasLiveDependentAsync(meta, blockingOnly: false, cancellationToken);
        }

        return DependentDecision.Decide(meta, r => states[r.Uid], hasDependents);
    }

    private static bool PatchReferences(V1ObjectMeta live, GcAction.PatchOwnerReferences patch)
    {
        var references = live.OwnerReferences ?? [];
        var changed = false;
        foreach (var reference in references.Where(r => patch.UnblockUids.Contains(r.Uid) && r.BlockOwnerDeletion == true))
        {
            reference.BlockOwnerDeletion = false;
            changed = true;
        }

        var kept = references.Where(r => !patch.RemoveUids.Contains(r.Uid)).ToList();
        changed |= kept.Count != references.Count;
        live.OwnerReferences = kept.Count == 0 ? null : kept;
        return changed;
    }

    /// <summary>garbagecollector.go's orphanDependents, then removeFinalizer(orphan).</summary>
    private async Task OrphanDependentsAsync(IMonitor owner, V1ObjectMeta meta, CancellationToken cancellationToken)
    {
        foreach (var (monitor, dependent) in Dependents(meta.Uid))
        {
            await monitor.MutateAsync(dependent.Metadata.NamespaceProperty, dependent.Metadata.Name, dependent.Metadata.Uid, live =>
            {
                var references = live.OwnerReferences ?? [];
                var kept = references.Where(r => r.Uid != meta.Uid).ToList();
                live.OwnerReferences = kept.Count == 0 ? null : kept;
                return kept.Count != references.Count;
            }, cancellationToken);
        }

        var key = ObjectKey.For(meta.NamespaceProperty, meta.Name);
        GarbageCollectorLog.Orphaned(Logger, owner.Kind, key);
        await RemoveFinalizerAsync(owner, meta, DependentDecision.OrphanFinalizer, cancellationToken);
    }

    /// <summary>garbagecollector.go's processDeletingDependentsItem: the owner goes once nothing blocks it.</summary>
    private async Task ProcessDeletingDependentsAsync(IMonitor owner, V1ObjectMeta meta, CancellationToken cancellationToken)
    {
        var dependents = Dependents(meta.Uid).ToList();
        if (!dependents.Any(d => DependentDecision.Blocks(d.Object.Metadata, meta.Uid)))
        {
            if (await HasLiveDependentAsync(meta, blockingOnly: true, cancellationToken))
            {
                throw new InvalidOperationException($"{owner.Kind} {meta.Name} still has blocking dependents the caches have not seen yet");
            }

            var key = ObjectKey.For(meta.NamespaceProperty, meta.Name);
            GarbageCollectorLog.ForegroundDone(Logger, owner.Kind, key);
            await RemoveFinalizerAsync(owner, meta, DependentDecision.ForegroundFinalizer, cancellationToken);
            return;
        }

        foreach (var (monitor, dependent) in dependents.Where(d => d.Object.Metadata.DeletionTimestamp is null))
        {
            Enqueue(Key(monitor, dependent));
        }
    }

    private static Task RemoveFinalizerAsync(IMonitor owner, V1ObjectMeta meta, string finalizer, CancellationToken cancellationToken) =>
        owner.MutateAsync(meta.NamespaceProperty, meta.Name, meta.Uid, live =>
        {
            if (live.Finalizers?.Remove(finalizer) != true)
            {
                return false;
            }

            if (live.Finalizers.Count == 0)
            {
                live.Finalizers = null;
            }

            return true;
        }, cancellationToken);

    private async Task<OwnerState> OwnerStateAsync(V1OwnerReference reference, string? dependentNamespace, CancellationToken cancellationToken)
    {
        var group = reference.ApiVersion.Contains('/') ? reference.ApiVersion[..reference.ApiVersion.IndexOf('/')] : "";
        V1ObjectMeta? owner;
        if (_monitors.TryGetValue(reference.Kind, out var monitor) && monitor.Group == group)
        {
            owner = monitor.ByUid(reference.Uid)?.Metadata;
            var ns = monitor.Namespaced ? dependentNamespace : null;
            if (monitor.Namespaced && string.IsNullOrEmpty(ns))
            {
                return OwnerState.Absent; // A cluster-scoped dependent cannot have a namespaced owner: the reference is invalid.
            }

            if (owner is null || (owner.NamespaceProperty ?? "") != (ns ?? ""))
            {
                owner = await monitor.GetLiveAsync(ns, reference.Name, cancellationToken);
            }
        }
        else if (group == "" && reference.Kind == "Namespace")
        {
            owner = (await _client.GetAsync<V1Namespace>(null, reference.Name, cancellationToken))?.Metadata;
        }
        else
        {
            return OwnerState.Present; // A kind the collector cannot look up is never taken as gone.
        }

        if (owner is null || owner.Uid != reference.Uid)
        {
            return OwnerState.Absent;
        }

        return owner.DeletionTimestamp is not null && owner.Finalizers?.Contains(DependentDecision.ForegroundFinalizer) == true
            ? OwnerState.WaitingForDependents
            : OwnerState.Present;
    }

    /// <summary>
    /// The caches may not yet hold a dependent created just before an owner's deletion (each kind is its own watch):
    /// before acting on "no dependents" in the foreground path, the live objects are asked.
    /// </summary>
    private async Task<bool> HasLiveDependentAsync(V1ObjectMeta owner, bool blockingOnly, CancellationToken cancellationToken)
    {
        foreach (var monitor in _monitors.Values)
        {
            if (await monitor.HasLiveDependentAsync(owner.NamespaceProperty, owner.Uid, blockingOnly, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private bool HasDependents(string uid) => _monitors.Values.Any(m => m.DependentsOf(uid).Count > 0);

    private IEnumerable<(IMonitor Monitor, IKubernetesObject<V1ObjectMeta> Object)> Dependents(string ownerUid) =>
        _monitors.Values.SelectMany(m => m.DependentsOf(ownerUid).Select(o => (m, o)));

    private void OnChanged(IMonitor monitor, IKubernetesObject<V1ObjectMeta>? old, IKubernetesObject<V1ObjectMeta> obj)
    {
        if (Interesting(obj))
        {
            Enqueue(Key(monitor, obj));
        }

        // A dependent that lets go of an owner (or stops blocking it) may be what a foreground deletion waits for.
        if (old?.Metadata.OwnerReferences is { Count: > 0 } before)
        {
            var after = obj.Metadata.OwnerReferences ?? [];
            foreach (var reference in before.Where(b => !after.Any(a => a.Uid == b.Uid && a.BlockOwnerDeletion == b.BlockOwnerDeletion)))
            {
                EnqueueOwner(reference);
            }
        }
    }

    private void OnDeleted(IKubernetesObject<V1ObjectMeta> obj)
    {
        foreach (var (monitor, dependent) in Dependents(obj.Metadata.Uid))
        {
            Enqueue(Key(monitor, dependent));
        }

        foreach (var reference in obj.Metadata.OwnerReferences ?? [])
        {
            EnqueueOwner(reference);
        }
    }

    private void EnqueueOwner(V1OwnerReference reference)
    {
        if (_monitors.TryGetValue(reference.Kind, out var monitor) && monitor.ByUid(reference.Uid) is { } owner && owner.Metadata.DeletionTimestamp is not null)
        {
            Enqueue(Key(monitor, owner));
        }
    }

    private static bool Interesting(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata.OwnerReferences is { Count: > 0 }
        || (obj.Metadata.DeletionTimestamp is not null && obj.Metadata.Finalizers is { } f
            && (f.Contains(DependentDecision.OrphanFinalizer) || f.Contains(DependentDecision.ForegroundFinalizer)));

    private static string Key(IMonitor monitor, IKubernetesObject<V1ObjectMeta> obj) => $"{monitor.Kind}:{ObjectKey.Of(obj)}";
}

internal static partial class GarbageCollectorLog
{
    [LoggerMessage(EventId = 250, Level = LogLevel.Information, Message = "garbagecollector: deleting {Kind} {Key} with propagation {Policy}: its owners are gone or being deleted")]
    public static partial void DeletingDependent(ILogger logger, string kind, string key, string policy);

    [LoggerMessage(EventId = 251, Level = LogLevel.Information, Message = "garbagecollector: {Kind} {Key}: removing {Removed} dangling owner references, unblocking {Unblocked}")]
    public static partial void PatchingOwnerReferences(ILogger logger, string kind, string key, int removed, int unblocked);

    [LoggerMessage(EventId = 252, Level = LogLevel.Information, Message = "garbagecollector: orphaned the dependents of {Kind} {Key}")]
    public static partial void Orphaned(ILogger logger, string kind, string key);

    [LoggerMessage(EventId = 253, Level = LogLevel.Information, Message = "garbagecollector: {Kind} {Key} has no blocking dependents left, removing foregroundDeletion")]
    public static partial void ForegroundDone(ILogger logger, string kind, string key);
}
