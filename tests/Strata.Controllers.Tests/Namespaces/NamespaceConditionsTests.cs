using k8s.Models;
using Strata.Controllers.Namespaces;

namespace Strata.Controllers.Tests.Namespaces;

public sealed class NamespaceConditionsTests
{
    private static ContentReport Report(string[]? errors = null, Dictionary<string, int>? remaining = null, Dictionary<string, int>? finalizers = null) =>
        new(errors ?? [], remaining ?? [], finalizers ?? [], 0);

    public static TheoryData<ContentReport, string, string, string, string> Cases => new()
    {
        { Report(), NamespaceConditions.ContentRemaining, "False", "ContentRemoved", "All content successfully removed" },
        { Report(), NamespaceConditions.FinalizersRemaining, "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished" },
        { Report(), NamespaceConditions.ContentFailure, "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization" },
        { Report(), NamespaceConditions.DiscoveryFailure, "False", "ResourcesDiscovered", "All resources successfully discovered" },
        { Report(), NamespaceConditions.GroupVersionParsingFailure, "False", "ParsedGroupVersions", "All legacy kube types successfully parsed" },
        {
            Report(remaining: new() { ["pods."] = 2, ["deployments.apps"] = 1 }), NamespaceConditions.ContentRemaining, "True", "SomeResourcesRemain",
            "Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances"
        },
        {
            Report(finalizers: new() { ["example.com/b"] = 1, ["example.com/a"] = 3 }), NamespaceConditions.FinalizersRemaining, "True", "SomeFinalizersRemain",
            "Some content in the namespace has finalizers remaining: example.com/a in 3 resource instances, example.com/b in 1 resource instances"
        },
        { Report(errors: ["boom"]), NamespaceConditions.ContentFailure, "True", "ContentDeletionFailed", "Failed to delete all resource types, 1 remaining: boom" },
        { Report(errors: ["a", "b"]), NamespaceConditions.ContentFailure, "True", "ContentDeletionFailed", "Failed to delete all resource types, 2 remaining: [a, b]" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_each_condition_as_upstream(ContentReport report, string type, string status, string reason, string message)
    {
        var conditions = NamespaceConditions.Apply(null, report, DateTime.UnixEpoch)!;
        Assert.Equal(5, conditions.Count);
        var condition = Assert.Single(conditions, c => c.Type == type);
        Assert.Equal((status, reason, message), (condition.Status, condition.Reason, condition.Message));
    }

    [Fact]
    public void Unchanged_conditions_keep_their_transition_time_and_an_unchanged_set_is_no_write()
    {
        var first = NamespaceConditions.Apply([new V1NamespaceCondition { Type = "Other", Status = "True" }], Report(remaining: new() { ["pods."] = 1 }), DateTime.UnixEpoch)!;
        Assert.Equal(6, first.Count);
        Assert.Null(NamespaceConditions.Apply(first, Report(remaining: new() { ["pods."] = 1 }), DateTime.UnixEpoch.AddHours(1)));

        var later = DateTime.UnixEpoch.AddHours(2);
        var second = NamespaceConditions.Apply(first, Report(), later)!;
        Assert.Equal(later, second.Single(c => c.Type == NamespaceConditions.ContentRemaining).LastTransitionTime);
        Assert.Equal(DateTime.UnixEpoch, second.Single(c => c.Type == NamespaceConditions.FinalizersRemaining).LastTransitionTime);
    }
}
