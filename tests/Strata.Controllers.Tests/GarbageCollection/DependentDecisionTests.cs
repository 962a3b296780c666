using k8s.Models;
using Strata.Controllers.GarbageCollection;

namespace Strata.Controllers.Tests.GarbageCollection;

public sealed class DependentDecisionTests
{
    private static V1OwnerReference Ref(string uid, bool block = false) =>
        new() { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner-" + uid, Uid = uid, BlockOwnerDeletion = block };

    public static TheoryData<string, string[], bool, string[]?, string> Cases => new()
    {
        // name, owners as "uid:state[:block]", hasDependents, dependent's finalizers, expected
        { "no owners", [], false, null, "None" },
        { "owner present", ["a:Present"], false, null, "None" },
        { "owner gone", ["a:Absent"], false, null, "Delete Background" },
        { "all owners gone", ["a:Absent", "b:Absent"], false, null, "Delete Background" },
        { "one owner left keeps it, the gone one is forgotten", ["a:Absent", "b:Present"], false, null, "Patch remove=a unblock=" },
        { "owner deleting in foreground", ["a:WaitingForDependents:block"], false, null, "Delete Background" },
        { "owner deleting in foreground, dependent has dependents", ["a:WaitingForDependents:block"], true, null, "Delete Foreground" },
        { "other owner keeps it, stops blocking the deleting one", ["a:WaitingForDependents:block", "b:Present"], false, null, "Patch remove= unblock=a" },
        { "other owner keeps it, the deleting one was not blocked", ["a:WaitingForDependents", "b:Present"], false, null, "None" },
        { "gone owner, dependent asks for orphaning", ["a:Absent"], false, ["orphan"], "Delete Orphan" },
        { "gone owner, dependent asks for foreground", ["a:Absent"], false, ["foregroundDeletion"], "Delete Foreground" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_from_the_owners_states(string name, string[] owners, bool hasDependents, string[]? finalizers, string expected)
    {
        var parsed = owners.Select(o => o.Split(':')).ToList();
        var meta = new V1ObjectMeta
        {
            Name = name,
            Uid = "dependent",
            Finalizers = finalizers,
            OwnerReferences = parsed.Count == 0 ? null : [.. parsed.Select(p => Ref(p[0], p.Length > 2))],
        };
        var states = parsed.ToDictionary(p => p[0], p => Enum.Parse<OwnerState>(p[1]));

        var action = DependentDecision.Decide(meta, r => states[r.Uid], hasDependents);

        var described = action switch
        {
            GcAction.Delete d => $"Delete {d.PropagationPolicy}",
            GcAction.PatchOwnerReferences p => $"Patch remove={string.Join(",", p.RemoveUids.Order())} unblock={string.Join(",", p.UnblockUids.Order())}",
            _ => "None",
        };
        Assert.Equal(expected, described);
    }

    [Fact]
    public void A_dependent_being_deleted_is_left_alone()
    {
        var meta = new V1ObjectMeta { Name = "x", Uid = "d", DeletionTimestamp = DateTime.UtcNow, OwnerReferences = [Ref("a")] };
        Assert.IsType<GcAction.Nothing>(DependentDecision.Decide(meta, _ => OwnerState.Absent, false));
    }

    [Fact]
    public void Only_references_with_blockOwnerDeletion_block()
    {
        Assert.True(DependentDecision.Blocks(new V1ObjectMeta { OwnerReferences = [Ref("a", block: true)] }, "a"));
        Assert.False(DependentDecision.Blocks(new V1ObjectMeta { OwnerReferences = [Ref("a")] }, "a"));
        Assert.False(DependentDecision.Blocks(new V1ObjectMeta { OwnerReferences = [Ref("b", block: true)] }, "a"));
    }
}
