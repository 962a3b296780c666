using System.Globalization;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// The message of an unschedulable pod (pkg/scheduler/framework/types.go FitError.Error and the default preemption
/// PostFilter's message): per-reason node counts, sorted as strings, then what preemption found. Strata never
/// preempts, so a node that failed only for lack of room reads "No preemption victims found for incoming pod" (what
/// upstream says when no lower-priority pod could make room) and any other "Preemption is not helpful for scheduling".
/// </summary>
public static class FitError
{
    public const string NoNodesAvailable = "no nodes available to schedule pods";
    public const string PreemptionNotHelpful = "Preemption is not helpful for scheduling";
    public const string NoPreemptionVictims = "No preemption victims found for incoming pod";

    public static string Message(int allNodes, IEnumerable<FilterResult> failures)
    {
        var list = failures.ToList();
        var reasons = Histogram(list.SelectMany(f => f.Reasons));
        var preemption = Histogram(list.Select(f => f.Resolvable ? NoPreemptionVictims : PreemptionNotHelpful));
        return string.Create(CultureInfo.InvariantCulture,
            $"0/{allNodes} nodes are available: {reasons}. preemption: 0/{allNodes} nodes are available: {preemption}.");
    }

    private static string Histogram(IEnumerable<string> reasons) =>
        string.Join(", ", reasons
            .GroupBy(r => r, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}"))
            .Order(StringComparer.Ordinal));
}
