using k8s.Models;

namespace Strata.Controllers.Namespaces;

/// <summary>What deleting a namespace's content found: per resource ("pods.", "deployments.apps") what is left.</summary>
public sealed record ContentReport(
    IReadOnlyList<string> DeleteErrors,
    IReadOnlyDictionary<string, int> RemainingByResource,
    IReadOnlyDictionary<string, int> RemainingByFinalizer,
    long EstimateSeconds)
{
    public bool Empty => DeleteErrors.Count == 0 && RemainingByResource.Count == 0;
}

/// <summary>
/// The deletion conditions the namespace controller keeps on a Terminating namespace
/// (pkg/controller/namespace/deletion/status_condition_utils.go): each is False with its "ok" reason unless
/// something is wrong or left.
/// </summary>
public static class NamespaceConditions
{
    public const string DiscoveryFailure = "NamespaceDeletionDiscoveryFailure";
    public const string GroupVersionParsingFailure = "NamespaceDeletionGroupVersionParsingFailure";
    public const string ContentFailure = "NamespaceDeletionContentFailure";
    public const string ContentRemaining = "NamespaceContentRemaining";
    public const string FinalizersRemaining = "NamespaceFinalizersRemaining";

    private static readonly (string Type, string Reason, string Message)[] Ok =
    [
        (DiscoveryFailure, "ResourcesDiscovered", "All resources successfully discovered"),
        (GroupVersionParsingFailure, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        (ContentFailure, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
        (ContentRemaining, "ContentRemoved", "All content successfully removed"),
        (FinalizersRemaining, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ];

    /// <summary>The conditions the report calls for, keyed by type: status, reason and message.</summary>
    public static IReadOnlyDictionary<string, (string Status, string Reason, string Message)> Desired(ContentReport report)
    {
        var desired = Ok.ToDictionary(c => c.Type, c => ("False", c.Reason, c.Message));
        if (report.DeleteErrors.Count > 0)
        {
            var errors = report.DeleteErrors.Count == 1 ? report.DeleteErrors[0] : $"[{string.Join(", ", report.DeleteErrors)}]";
            desired[ContentFailure] = ("True", "ContentDeletionFailed", $"Failed to delete all resource types, {report.DeleteErrors.Count} remaining: {errors}");
        }

        if (report.RemainingByResource.Count > 0)
        {
            var remaining = report.RemainingByResource.Select(r => $"{r.Key} has {r.Value} resource instances").Order(StringComparer.Ordinal);
            desired[ContentRemaining] = ("True", "SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", remaining));
        }

        if (report.RemainingByFinalizer.Count > 0)
        {
            var finalizers = report.RemainingByFinalizer.Select(f => $"{f.Key} in {f.Value} resource instances").Order(StringComparer.Ordinal);
            desired[FinalizersRemaining] = ("True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers));
        }

        return desired;
    }

    /// <summary>
    /// <paramref name="current"/> with the deletion conditions set as the report calls for; a condition whose status,
    /// reason and message are unchanged keeps its lastTransitionTime. Returns null when nothing changes.
    /// </summary>
    public static List<V1NamespaceCondition>? Apply(IList<V1NamespaceCondition>? current, ContentReport report, DateTime now)
    {
        var conditions = current?.ToList() ?? [];
        var changed = false;
        foreach (var (type, (status, reason, message)) in Desired(report))
        {
            var index = conditions.FindIndex(c => c.Type == type);
            if (index >= 0 && conditions[index].Status == status && conditions[index].Reason == reason && conditions[index].Message == message)
            {
                continue;
            }

            var condition = new V1NamespaceCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now };
            if (index >= 0)
            {
                conditions[index] = condition;
            }
            else
            {
                conditions.Add(condition);
            }

            changed = true;
        }

        return changed ? conditions : null;
    }
}
