using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's "endpoints" controller (pkg/controller/endpoint/endpoints_controller.go): the legacy
/// core/v1 Endpoints of every Service with a selector. Endpoints of selector-less Services are left to their users;
/// those of deleted Services are deleted (also at start-up, for Endpoints whose Service went while it was down).
/// </summary>
public sealed class EndpointsController : Controller
{
    private readonly IKubeClient _client;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Endpoints> _endpoints;
    private readonly TriggerTimeTracker _triggerTimes = new();

    // Endpoints versions this controller replaced: seeing one again in the cache means the cache is behind.
    private readonly Dictionary<string, string> _replaced = [];

    public EndpointsController(ControllerContext context, int workers = 5)
        : base("endpoints", context.Logger("Endpoints"), workers)
    {
        _client = context.Client;
        _services = context.Informers.For<V1Service>().IndexSelectors();
        _pods = context.Informers.For<V1Pod>().IndexLabels();
        _endpoints = context.Informers.For<V1Endpoints>();

        _services.AddHandler(s => Enqueue(ObjectKey.Of(s)), (_, s) => Enqueue(ObjectKey.Of(s)), s => Enqueue(ObjectKey.Of(s)));
        ServiceMembership.EnqueueOnPodChanges(_pods, _services, Enqueue);
        _endpoints.AddHandler(deleted: e => Enqueue(ObjectKey.Of(e)));
    }

    protected override IEnumerable<IInformer> Informers => [_services, _pods, _endpoints];

    // checkLeftoverEndpoints: every Endpoints too, so that those without a Service are deleted.
    protected override IEnumerable<string> InitialKeys() =>
        _services.List().Select(ObjectKey.Of)
            .Concat(_endpoints.List()
                .Where(e => e.Metadata.Annotations?.ContainsKey(EndpointsPlanner.LeaderAnnotation) != true)
                .Select(ObjectKey.Of))
            .Distinct();

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKey.Split(key);
        var service = _services.Get(key);
        if (service is null)
        {
            try
            {
                if (await _client.DeleteAsync<V1Endpoints>(ns, name, cancellationToken: cancellationToken))
                {
                    EndpointsLog.EndpointsDeleted(Logger, key);
                }
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
            }

            _triggerTimes.Forget(ns ?? "", name);
            lock (_replaced)
            {
                _replaced.Remove(key);
            }

            return;
        }

        if (!PodEndpoints.HasSelector(service))
        {
            return;
        }

        var pods = _pods.Selected(ns, service.Spec.Selector);
        var triggerTime = _triggerTimes.Compute(service, pods);
        var current = _endpoints.Get(key);
        if (current is not null)
        {
            lock (_replaced)
            {
                if (_replaced.TryGetValue(key, out var old) && old == current.Metadata.ResourceVersion)
                {
                    throw new StaleCacheException($"endpoints informer cache is out of date, resource version {old} already processed for endpoints {key}");
                }
            }
        }

        var desired = EndpointsPlanner.Desired(service, pods, current, triggerTime);
        if (desired is null)
        {
            return;
        }

        if (current is null)
        {
            await _client.CreateAsync(desired, cancellationToken);
        }
        else
        {
            var updated = await _client.UpdateAsync(desired, cancellationToken);
            if (updated.Metadata.ResourceVersion != current.Metadata.ResourceVersion)
            {
                lock (_replaced)
                {
                    _replaced[key] = current.Metadata.ResourceVersion;
                }
            }
        }

        if (Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            var ready = desired.Subsets.Sum(s => s.Addresses?.Count ?? 0);
            var notReady = desired.Subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0);
            EndpointsLog.EndpointsWritten(Logger, key, ready, notReady);
        }
    }
}
