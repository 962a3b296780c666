using k8s.Models;

namespace Strata.Controllers.GarbageCollection;

/// <summary>What the collector found out about one owner reference of a dependent.</summary>
public enum OwnerState
{
    /// <summary>The owner exists with the referenced uid (or its kind cannot be looked up, so it is left alone).</summary>
    Present,

    /// <summary>No object with that name and uid exists: the reference dangles.</summary>
    Absent,

    /// <summary>The owner exists and is being deleted in the foreground: it waits for its dependents to go.</summary>
    WaitingForDependents,
}

/// <summary>What to do with a dependent.</summary>
public abstract record GcAction
{
    public static GcAction None { get; } = new Nothing();

    public sealed record Nothing : GcAction;

    /// <summary>Drop the references to absent owners and clear blockOwnerDeletion on those to owners waiting for it.</summary>
    public sealed record PatchOwnerReferences(IReadOnlySet<string> RemoveUids, IReadOnlySet<string> UnblockUids) : GcAction;

    /// <summary>Delete the dependent with this propagation policy.</summary>
    public sealed record Delete(string PropagationPolicy) : GcAction;
}

/// <summary>
/// The collector's decision for one dependent from the state of each of its owners
/// (pkg/controller/garbagecollector/garbagecollector.go, attemptToDeleteItem and classifyReferences).
/// </summary>
public static class DependentDecision
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    public static GcAction Decide(V1ObjectMeta dependent, Func<V1OwnerReference, OwnerState> owners, bool hasDependents)
    {
        var references = dependent.OwnerReferences ?? [];
        if (references.Count == 0 || dependent.DeletionTimestamp is not null)
        {
            return GcAction.None;
        }

        var solid = new List<V1OwnerReference>();
        var dangling = new HashSet<string>();
        var waiting = new HashSet<string>();
        foreach (var reference in references)
        {
            switch (owners(reference))
            {
                case OwnerState.Absent:
                    dangling.Add(reference.Uid);
                    break;
                case OwnerState.WaitingForDependents:
                    waiting.Add(reference.Uid);
                    break;
                default:
                    solid.Add(reference);
                    break;
            }
        }

        if (solid.Count > 0)
        {
            // Another owner keeps it alive: forget the gone owners and stop blocking the ones being deleted.
            var unblock = references.Where(r => waiting.Contains(r.Uid) && r.BlockOwnerDeletion == true).Select(r => r.Uid).ToHashSet();
            return dangling.Count == 0 && unblock.Count == 0 ? GcAction.None : new GcAction.PatchOwnerReferences(dangling, unblock);
        }

        if (waiting.Count > 0 && hasDependents)
        {
            // Its owner waits for it, so it in turn waits for its own dependents.
            return new GcAction.Delete("Foreground");
        }

        var finalizers = dependent.Finalizers ?? [];
        return new GcAction.Delete(finalizers.Contains(OrphanFinalizer) ? "Orphan" : finalizers.Contains(ForegroundFinalizer) ? "Foreground" : "Background");
    }

    /// <summary>The dependents that keep a foreground-deleted owner: those whose reference to it says blockOwnerDeletion.</summary>
    public static bool Blocks(V1ObjectMeta dependent, string ownerUid) =>
        dependent.OwnerReferences?.Any(r => r.Uid == ownerUid && r.BlockOwnerDeletion == true) == true;
}
