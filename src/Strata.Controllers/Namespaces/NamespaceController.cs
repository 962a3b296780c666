using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Namespaces;

/// <summary>
/// kube-controller-manager's "namespace" controller (pkg/controller/namespace/namespace_controller.go and
/// deletion/namespaced_resources_deleter.go): empties a Terminating namespace, reports progress in its deletion
/// conditions, and when nothing is left drops the "kubernetes" finalizer through /finalize so the API server deletes it.
/// </summary>
public sealed class NamespaceController : Controller
{
    public const string ControllerName = "namespace";
    public const string KubernetesFinalizer = "kubernetes";

    private static readonly TimeSpan RecheckDelay = TimeSpan.FromSeconds(1);

    private readonly IKubeClient _client;
    private readonly Informer<V1Namespace> _namespaces;
    private readonly TimeProvider _time;

    public NamespaceController(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName), workers: 2)
    {
        _client = context.Client;
        _time = context.Options.Time;
        _namespaces = context.Informers.For<V1Namespace>();
        _namespaces.AddHandler(added: Changed, updated: (_, ns) => Changed(ns));
    }

    protected override IEnumerable<IInformer> Informers => [_namespaces];

    protected override IEnumerable<string> InitialKeys() =>
        _namespaces.List().Where(n => n.Metadata.DeletionTimestamp is not null).Select(n => n.Metadata.Name);

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        // A fresh read: the cache may not have seen the last finalize yet.
        var ns = await _client.GetAsync<V1Namespace>(null, key, cancellationToken);
        if (ns?.Metadata.DeletionTimestamp is null || ns.Spec?.Finalizers?.Contains(KubernetesFinalizer) != true)
        {
            return;
        }

        var contents = new List<ResourceContent>();
        foreach (var resource in NamespacedResources.All)
        {
            contents.Add(await resource.DeleteAllAsync(_client, key, cancellationToken));
        }

        var report = NamespacedResources.Report(contents);
        if (NamespaceConditions.Apply(ns.Status?.Conditions, report, _time.GetUtcNow().UtcDateTime) is { } conditions)
        {
            ns.Status ??= new V1NamespaceStatus();
            ns.Status.Conditions = conditions;
            ns = await _client.UpdateStatusAsync(ns, cancellationToken);
        }

        if (report.DeleteErrors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", report.DeleteErrors));
        }

        if (!report.Empty)
        {
            var remaining = string.Join(", ", report.RemainingByResource.Select(r => $"{r.Key}={r.Value}"));
            NamespaceLog.ContentRemaining(Logger, key, remaining, report.EstimateSeconds);
            Queue.AddAfter(key, report.EstimateSeconds > 0 ? TimeSpan.FromSeconds(report.EstimateSeconds) : RecheckDelay);
            return;
        }

        ns.Spec!.Finalizers = [.. ns.Spec.Finalizers!.Where(f => f != KubernetesFinalizer)];
        await _client.FinalizeNamespaceAsync(ns, cancellationToken);
        NamespaceLog.Finalized(Logger, key);
    }

    private void Changed(V1Namespace ns)
    {
        if (ns.Metadata.DeletionTimestamp is not null)
        {
            Enqueue(ns.Metadata.Name);
        }
    }
}

internal static partial class NamespaceLog
{
    [LoggerMessage(EventId = 270, Level = LogLevel.Information, Message = "namespace {Namespace}: content remains ({Remaining}), checking again (estimate {EstimateSeconds}s)")]
    public static partial void ContentRemaining(ILogger logger, string @namespace, string remaining, long estimateSeconds);

    [LoggerMessage(EventId = 271, Level = LogLevel.Information, Message = "namespace {Namespace} is empty: removed the kubernetes finalizer")]
    public static partial void Finalized(ILogger logger, string @namespace);
}
