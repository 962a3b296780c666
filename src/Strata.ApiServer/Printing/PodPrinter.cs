using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>Pods: <c>printPod</c> in pkg/printers/internalversion/printers.go.</summary>
internal static class PodPrinter
{
    private static readonly TableColumn[] Columns =
    [
        Col.Name,
        Col.String("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        Col.String("Status", "The aggregate status of the containers in this pod."),
        Col.String("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        Col.Age,
        Col.String("IP", SwaggerDocs.PodStatusPodIP, 1),
        Col.String("Node", SwaggerDocs.PodSpecNodeName, 1),
        Col.String("Nominated Node", SwaggerDocs.PodStatusNominatedNodeName, 1),
        Col.String("Readiness Gates", SwaggerDocs.PodSpecReadinessGates, 1),
    ];

    private static readonly TableRowCondition[] Succeeded =
        [new("Completed", "True", "Succeeded", "The pod has completed successfully.")];

    private static readonly TableRowCondition[] Failed =
        [new("Completed", "True", "Failed", "The pod failed.")];

    public static TablePrinter Create() => new(Columns, Cells, Conditions);

    private static IReadOnlyList<TableRowCondition> Conditions(JsonObject pod) => pod.Str("status", "phase") switch
    {
        "Succeeded" => Succeeded,
        "Failed" => Failed,
        _ => [],
    };

    private static JsonNode?[] Cells(JsonObject pod, DateTimeOffset now)
    {
        var status = pod.Obj("status");
        var phase = status.Str("phase");
        var reason = status.Str("reason") is { Length: > 0 } r ? r : phase;

        foreach (var condition in status.Objects("conditions"))
        {
            if (condition.Str("type") == "PodScheduled" && condition.Str("reason") == "SchedulingGated")
            {
                reason = "SchedulingGated";
            }
        }

        var initContainers = pod.Objects("spec", "initContainers");
        var restartable = new Dictionary<string, bool>(StringComparer.Ordinal);
        var totalContainers = pod.Objects("spec", "containers").Count;
        foreach (var container in initContainers)
        {
            // A sidecar (init container with restartPolicy Always) counts towards READY like a regular container.
            var isSidecar = container.Str("restartPolicy") == "Always";
            restartable[container.Str("name")] = isSidecar;
            if (isSidecar)
            {
                totalContainers++;
            }
        }

        long restarts = 0;
        long sidecarRestarts = 0;
        var readyContainers = 0;
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastSidecarRestart = null;

        var initializing = false;
        var initStatuses = status.Objects("initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var container = initStatuses[i];
            var isSidecar = restartable.GetValueOrDefault(container.Str("name"));
            restarts += container.Int("restartCount");
            var finishedAt = LastTerminationFinishedAt(container);
            lastRestart = Later(lastRestart, finishedAt);
            if (isSidecar)
            {
                sidecarRestarts += container.Int("restartCount");
                lastSidecarRestart = Later(lastSidecarRestart, finishedAt);
            }

            var terminated = container.Obj("state", "terminated");
            var waiting = container.Obj("state", "waiting");
            if (terminated is not null && terminated.Int("exitCode") == 0)
            {
                continue;
            }

            if (isSidecar && container.Bool("started"))
            {
                if (container.Bool("ready"))
                {
                    readyContainers++;
                }

                continue;
            }

            if (terminated is not null)
            {
                reason = terminated.Str("reason") is { Length: > 0 } terminatedReason
                    ? "Init:" + terminatedReason
                    : terminated.Int("signal") != 0
                        ? $"Init:Signal:{terminated.Int("signal")}"
                        : $"Init:ExitCode:{terminated.Int("exitCode")}";
            }
            else if (waiting is not null && waiting.Str("reason") is { Length: > 0 } waitingReason && waitingReason != "PodInitializing")
            {
                reason = "Init:" + waitingReason;
            }
            else
            {
                reason = $"Init:{i}/{initContainers.Count}";
            }

            initializing = true;
            break;
        }

        if (!initializing || IsInitialized(status))
        {
            // Completed init containers no longer count; sidecars keep running, so theirs do.
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = status.Objects("containerStatuses");
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var container = statuses[i];
                restarts += container.Int("restartCount");
                lastRestart = Later(lastRestart, LastTerminationFinishedAt(container));

                var terminated = container.Obj("state", "terminated");
                var waiting = container.Obj("state", "waiting");
                if (waiting is not null && waiting.Str("reason") is { Length: > 0 } waitingReason)
                {
                    reason = waitingReason;
                }
                else if (terminated is not null && terminated.Str("reason") is { Length: > 0 } terminatedReason)
                {
                    reason = terminatedReason;
                }
                else if (terminated is not null)
                {
                    reason = terminated.Int("signal") != 0
                        ? $"Signal:{terminated.Int("signal")}"
                        : $"ExitCode:{terminated.Int("exitCode")}";
                }
                else if (container.Bool("ready") && container.Obj("state", "running") is not null)
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }

            // A pod with one container completed and another still running is reported by readiness, not as Completed.
            if (reason == "Completed" && hasRunning)
            {
                reason = HasCondition(status, "Ready") ? "Running" : "NotReady";
            }
        }

        var deleting = pod.Time("metadata", "deletionTimestamp") is not null;
        if (deleting && status.Str("reason") == "NodeLost")
        {
            reason = "Unknown";
        }
        else if (deleting && phase is not ("Failed" or "Succeeded"))
        {
            reason = "Terminating";
        }

        var restartsText = restarts != 0 && lastRestart is { } last
            ? $"{restarts} ({HumanDuration.Since(last, now)} ago)"
            : restarts.ToString(System.Globalization.CultureInfo.InvariantCulture);

        return
        [
            Cell.Of(pod.Name()),
            Cell.Of($"{readyContainers}/{totalContainers}"),
            Cell.Of(reason),
            Cell.Of(restartsText),
            Cell.Of(pod.Age(now)),
            Cell.Of(PodIP(status) is { Length: > 0 } ip ? ip : "<none>"),
            Cell.Of(pod.Str("spec", "nodeName") is { Length: > 0 } node ? node : "<none>"),
            Cell.Of(status.Str("nominatedNodeName") is { Length: > 0 } nominated ? nominated : "<none>"),
            Cell.Of(ReadinessGates(pod, status)),
        ];
    }

    /// <summary>
    /// The internal type has only <c>podIPs</c>; converting from v1 makes <c>podIP</c> authoritative when set
    /// (Convert_v1_PodStatus_To_core_PodStatus in pkg/apis/core/v1/conversion.go).
    /// </summary>
    private static string PodIP(JsonObject? status)
    {
        if (status.Str("podIP") is { Length: > 0 } ip)
        {
            return ip;
        }

        return status.Objects("podIPs") is [var first, ..] ? first.Str("ip") : "";
    }

    private static string ReadinessGates(JsonObject pod, JsonObject? status)
    {
        var gates = pod.Objects("spec", "readinessGates");
        if (gates.Count == 0)
        {
            return "<none>";
        }

        var conditions = status.Objects("conditions");
        var trueConditions = gates.Count(gate =>
            conditions.FirstOrDefault(c => c.Str("type") == gate.Str("conditionType")) is { } c && c.Str("status") == "True");
        return $"{trueConditions}/{gates.Count}";
    }

    private static bool HasCondition(JsonObject? status, string type) =>
        status.Objects("conditions").Any(c => c.Str("type") == type && c.Str("status") == "True");

    /// <summary><c>isPodInitializedConditionTrue</c>: the first Initialized condition decides.</summary>
    private static bool IsInitialized(JsonObject? status) =>
        status.Objects("conditions").FirstOrDefault(c => c.Str("type") == "Initialized") is { } c && c.Str("status") == "True";

    private static DateTimeOffset? LastTerminationFinishedAt(JsonObject container) =>
        container.Obj("lastState", "terminated") is { } terminated ? terminated.Time("finishedAt") : null;

    private static DateTimeOffset? Later(DateTimeOffset? current, DateTimeOffset? candidate) =>
        candidate is { } c && (current is not { } cur || cur < c) ? c : current;
}
