using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's "endpointslice" controller (pkg/controller/endpointslice/endpointslice_controller.go):
/// keeps the EndpointSlices of every Service with a selector equal to the pods it selects. Services are queued on
/// their own changes, on changes of pods they select (before or after the change), and on changes of their managed
/// slices made by someone else. Managed slices of Services that are gone or have no selector are deleted.
/// </summary>
public sealed class EndpointSliceController : Controller
{
    public const string ServiceIndex = "endpointslice-service";

    private readonly IKubeClient _client;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly EndpointSlicePlanner _planner;
    private readonly EndpointSliceTracker _tracker = new();
    private readonly TriggerTimeTracker _triggerTimes = new();

    public EndpointSliceController(ControllerContext context, int maxEndpointsPerSlice = 100, int workers = 5)
        : base("endpointslice", context.Logger("EndpointSlice"), workers)
    {
        _client = context.Client;
        _planner = new EndpointSlicePlanner(EndpointSlicePlanner.ControllerName, maxEndpointsPerSlice);
        _services = context.Informers.For<V1Service>().IndexSelectors();
        _pods = context.Informers.For<V1Pod>().IndexLabels();
        _nodes = context.Informers.For<V1Node>();
        _slices = context.Informers.For<V1EndpointSlice>();
        _slices.AddIndex(ServiceIndex, s => IsManaged(s) ? [ServiceKey(s)] : []);

        _services.AddHandler(s => Enqueue(ObjectKey.Of(s)), (_, s) => Enqueue(ObjectKey.Of(s)), s => Enqueue(ObjectKey.Of(s)));
        ServiceMembership.EnqueueOnPodChanges(_pods, _services, Enqueue);
        _slices.AddHandler(
            s => SliceChanged(s, deleted: false),
            (old, cur) =>
            {
                if (IsManaged(old) && (!IsManaged(cur) || ServiceKey(old) != ServiceKey(cur)))
                {
                    Enqueue(ServiceKey(old));
                }

                SliceChanged(cur, deleted: false);
            },
            s => SliceChanged(s, deleted: true));
    }

    protected override IEnumerable<IInformer> Informers => [_services, _pods, _nodes, _slices];

    protected override IEnumerable<string> InitialKeys() =>
        _services.List().Select(ObjectKey.Of)
            .Concat(_slices.List().Where(IsManaged).Select(ServiceKey))
            .Distinct();

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKey.Split(key);
        var service = _services.Get(key);
        var slices = _slices.ByIndex(ServiceIndex, key);
        if (service is null || !PodEndpoints.HasSelector(service))
        {
            await DeleteAllAsync(key, service, slices, cancellationToken);
            if (service is null)
            {
                _triggerTimes.Forget(ns ?? "", name);
            }

            return;
        }

        if (_tracker.Stale(key, slices))
        {
            throw new StaleCacheException($"EndpointSlice informer cache is out of date for Service {key}");
        }

        _tracker.Settle(key, slices);
        var pods = _pods.Selected(ns, service.Spec.Selector);
        var triggerTime = _triggerTimes.Compute(service, pods);
        var plan = _planner.Plan(service, pods, n => _nodes.Get(n), slices, triggerTime);
        await ApplyAsync(key, plan, cancellationToken);
        if (plan.Errors.Count > 0)
        {
            foreach (var error in plan.Errors)
            {
                EndpointsLog.PodSkipped(Logger, key, error);
            }

            throw new InvalidOperationException(plan.Errors[0]);
        }
    }

    private async Task ApplyAsync(string key, SlicePlan plan, CancellationToken cancellationToken)
    {
        foreach (var slice in plan.Create)
        {
            var created = await _client.CreateAsync(slice, cancellationToken);
            _tracker.Update(key, created);
        }

        foreach (var slice in plan.Update)
        {
            var updated = await _client.UpdateAsync(slice, cancellationToken);
            _tracker.Update(key, updated);
        }

        foreach (var slice in plan.Delete)
        {
            await DeleteAsync(key, slice, cancellationToken);
        }

        if (!plan.IsEmpty)
        {
            EndpointsLog.SlicesWritten(Logger, key, plan.Create.Count, plan.Update.Count, plan.Delete.Count);
        }
    }

    private async Task DeleteAllAsync(string key, V1Service? service, IReadOnlyList<V1EndpointSlice> slices, CancellationToken cancellationToken)
    {
        foreach (var slice in slices)
        {
            await DeleteAsync(key, slice, cancellationToken);
            EndpointsLog.OrphanSliceDeleted(Logger, slice.Metadata.Name, key);
        }

        if (service is null)
        {
            _tracker.Forget(key);
        }
    }

    private async Task DeleteAsync(string key, V1EndpointSlice slice, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteAsync<V1EndpointSlice>(slice.Metadata.NamespaceProperty, slice.Metadata.Name, new DeleteRequest(PreconditionUid: slice.Metadata.Uid), cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
        {
        }

        _tracker.ExpectDeletion(key, slice);
    }

    private void SliceChanged(V1EndpointSlice slice, bool deleted)
    {
        if (IsManaged(slice) && _tracker.ShouldSync(ServiceKey(slice), slice, deleted))
        {
            Enqueue(ServiceKey(slice));
        }
    }

    private static bool IsManaged(V1EndpointSlice slice) =>
        slice.Metadata.Labels is { } labels
        && labels.TryGetValue(EndpointSlicePlanner.ManagedByLabel, out var by) && by == EndpointSlicePlanner.ControllerName
        && labels.TryGetValue(EndpointSlicePlanner.ServiceNameLabel, out var service) && service != "";

    private static string ServiceKey(V1EndpointSlice slice) =>
        ObjectKey.For(slice.Metadata.NamespaceProperty, slice.Metadata.Labels![EndpointSlicePlanner.ServiceNameLabel]);
}

/// <summary>The informer has not yet seen this controller's own writes; the key is retried shortly.</summary>
public sealed class StaleCacheException(string message) : Exception(message);
