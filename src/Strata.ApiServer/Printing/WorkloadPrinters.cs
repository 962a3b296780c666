using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// Deployments, ReplicaSets, DaemonSets and StatefulSets: <c>printDeployment</c>, <c>printReplicaSet</c>,
/// <c>printDaemonSet</c> and <c>printStatefulSet</c> in pkg/printers/internalversion/printers.go.
/// </summary>
internal static class WorkloadPrinters
{
    private static readonly TableColumn[] DeploymentColumns =
    [
        Col.Name,
        Col.String("Ready", "Number of the pod with ready state"),
        Col.String("Up-to-date", SwaggerDocs.DeploymentStatusUpdatedReplicas),
        Col.String("Available", SwaggerDocs.DeploymentStatusAvailableReplicas),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.String("Selector", SwaggerDocs.DeploymentSpecSelector, 1),
    ];

    private static readonly TableColumn[] ReplicaSetColumns =
    [
        Col.Name,
        Col.Integer("Desired", SwaggerDocs.ReplicaSetSpecReplicas),
        Col.Integer("Current", SwaggerDocs.ReplicaSetStatusReplicas),
        Col.Integer("Ready", SwaggerDocs.ReplicaSetStatusReadyReplicas),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.String("Selector", SwaggerDocs.ReplicaSetSpecSelector, 1),
    ];

    private static readonly TableColumn[] DaemonSetColumns =
    [
        Col.Name,
        Col.Integer("Desired", SwaggerDocs.DaemonSetStatusDesiredNumberScheduled),
        Col.Integer("Current", SwaggerDocs.DaemonSetStatusCurrentNumberScheduled),
        Col.Integer("Ready", SwaggerDocs.DaemonSetStatusNumberReady),
        Col.Integer("Up-to-date", SwaggerDocs.DaemonSetStatusUpdatedNumberScheduled),
        Col.Integer("Available", SwaggerDocs.DaemonSetStatusNumberAvailable),
        Col.String("Node Selector", SwaggerDocs.PodSpecNodeSelector),
        Col.Age,
        Col.Containers,
        Col.Images,
        Col.String("Selector", SwaggerDocs.DaemonSetSpecSelector, 1),
    ];

    private static readonly TableColumn[] StatefulSetColumns =
    [
        Col.Name,
        Col.String("Ready", "Number of the pod with ready state"),
        Col.Age,
        Col.Containers,
        Col.Images,
    ];

    public static TablePrinter Deployment() => new(DeploymentColumns, (obj, now) =>
    {
        var (names, images) = Cell.Containers(TemplateContainers(obj));

        // printDeployment prints the selector's String() as is: empty (not <none>) when it selects everything.
        var selector = LabelFormatting.SelectorString(obj.Obj("spec", "selector")) ?? "<invalid>";
        return
        [
            Cell.Of(obj.Name()),
            Cell.Of($"{obj.Int("status", "readyReplicas")}/{DesiredReplicas(obj)}"),
            Cell.Of(obj.Int("status", "updatedReplicas")),
            Cell.Of(obj.Int("status", "availableReplicas")),
            Cell.Of(obj.Age(now)),
            names,
            images,
            Cell.Of(selector),
        ];
    });

    public static TablePrinter ReplicaSet() => new(ReplicaSetColumns, (obj, now) =>
    {
        var (names, images) = Cell.Containers(TemplateContainers(obj));
        return
        [
            Cell.Of(obj.Name()),
            Cell.Of(DesiredReplicas(obj)),
            Cell.Of(obj.Int("status", "replicas")),
            Cell.Of(obj.Int("status", "readyReplicas")),
            Cell.Of(obj.Age(now)),
            names,
            images,
            Cell.Of(LabelFormatting.FormatLabelSelector(obj.Obj("spec", "selector"))),
        ];
    });

    public static TablePrinter DaemonSet() => new(DaemonSetColumns, (obj, now) =>
    {
        var (names, images) = Cell.Containers(TemplateContainers(obj));
        return
        [
            Cell.Of(obj.Name()),
            Cell.Of(obj.Int("status", "desiredNumberScheduled")),
            Cell.Of(obj.Int("status", "currentNumberScheduled")),
            Cell.Of(obj.Int("status", "numberReady")),
            Cell.Of(obj.Int("status", "updatedNumberScheduled")),
            Cell.Of(obj.Int("status", "numberAvailable")),
            Cell.Of(LabelFormatting.FormatLabels(obj.StringMap("spec", "template", "spec", "nodeSelector"))),
            Cell.Of(obj.Age(now)),
            names,
            images,
            Cell.Of(LabelFormatting.FormatLabelSelector(obj.Obj("spec", "selector"))),
        ];
    });

    public static TablePrinter StatefulSet() => new(StatefulSetColumns, (obj, now) =>
    {
        var (names, images) = Cell.Containers(TemplateContainers(obj));
        return
        [
            Cell.Of(obj.Name()),
            Cell.Of($"{obj.Int("status", "readyReplicas")}/{DesiredReplicas(obj)}"),
            Cell.Of(obj.Age(now)),
            names,
            images,
        ];
    });

    /// <summary>
    /// <c>spec.replicas</c>; the API server defaults it to 1 for apps/v1 objects, so the printers upstream
    /// never see it unset.
    /// </summary>
    private static long DesiredReplicas(JsonObject obj) => obj.OptionalInt("spec", "replicas") ?? 1;

    private static IReadOnlyList<JsonObject> TemplateContainers(JsonObject obj) =>
        obj.Objects("spec", "template", "spec", "containers");
}
