using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.GatewayApi;
using Strata.Controllers.Machinery;
using Strata.Ingress.Controller;
using static Strata.Ingress.Gateway.GatewayConditions;

namespace Strata.Ingress.Gateway;

/// <summary>
/// The Gateway API control plane of <c>strata ingress --gateway</c>: informers on GatewayClasses, Gateways, HTTPRoutes,
/// ReferenceGrants, Namespaces, Services, EndpointSlices and Secrets; every change (coalesced) rebuilds the
/// configuration, swaps it into the data plane (which opens and closes listener ports), and writes the statuses that
/// changed: GatewayClass Accepted, Gateway Accepted/Programmed with addresses and listener conditions, and the HTTPRoute
/// parents entries of this controller (other controllers' entries are kept).
/// </summary>
public sealed class GatewayController : IAsyncDisposable
{
    private readonly IKubeClient _client;
    private readonly GatewayConfigBuilder _builder;
    private readonly Func<GatewayConfig, CancellationToken, Task<IReadOnlyDictionary<int, string>>> _publish;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Informer<V1GatewayClass> _classes;
    private readonly Informer<V1Gateway> _gateways;
    private readonly Informer<V1HttpRoute> _routes;
    private readonly Informer<V1Beta1ReferenceGrant> _grants;
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly Informer<V1Secret> _secrets;
    private readonly CoalescedSync _sync;
    private readonly bool _updateStatus;

    private GatewayController(IKubeClient client, GatewayConfigBuilder builder, Func<GatewayConfig, CancellationToken, Task<IReadOnlyDictionary<int, string>>> publish,
        ILoggerFactory loggers, bool updateStatus, TimeProvider? time)
    {
        _client = client;
        _builder = builder;
        _publish = publish;
        _updateStatus = updateStatus;
        _time = time ?? TimeProvider.System;
        _logger = loggers.CreateLogger("Strata.Ingress.Gateway");
        _sync = new CoalescedSync(SyncAsync, e => GatewayLog.SyncFailed(_logger, e.Message));
        var factory = new InformerFactory(client, loggers);
        _classes = _sync.Watch(factory.For<V1GatewayClass>());
        _gateways = _sync.Watch(factory.For<V1Gateway>());
        _routes = _sync.Watch(factory.For<V1HttpRoute>());
        _grants = _sync.Watch(factory.For<V1Beta1ReferenceGrant>());
        _namespaces = _sync.Watch(factory.For<V1Namespace>());
        _services = _sync.Watch(factory.For<V1Service>());
        _slices = _sync.Watch(factory.For<V1EndpointSlice>());
        _secrets = _sync.Watch(factory.For<V1Secret>());
    }

    /// <summary>The number of configurations published so far.</summary>
    public int Generation { get; private set; }

    public GatewayConfig Current { get; private set; } = GatewayConfig.Empty;

    /// <summary>
    /// Starts the informers and the sync loop. <paramref name="publish"/> applies a configuration and returns the
    /// ports it could not listen on (their listeners are reported as not Programmed). Without
    /// <paramref name="updateStatus"/> nothing is written to the cluster.
    /// </summary>
    public static GatewayController Start(IKubeClient client, string controllerName, IReadOnlyList<string> addresses,
        Func<GatewayConfig, CancellationToken, Task<IReadOnlyDictionary<int, string>>> publish, ILoggerFactory loggers, bool updateStatus = true, TimeProvider? time = null)
    {
        var controller = new GatewayController(client, new GatewayConfigBuilder(controllerName, addresses), publish, loggers, updateStatus, time);
        controller._sync.Start([controller._classes, controller._gateways, controller._routes, controller._grants, controller._namespaces,
            controller._services, controller._slices, controller._secrets]);
        return controller;
    }

    /// <summary>Publishes into a <see cref="GatewayServer"/>.</summary>
    public static Func<GatewayConfig, CancellationToken, Task<IReadOnlyDictionary<int, string>>> PublishTo(GatewayServer server) => async (config, token) =>
    {
        await server.ApplyAsync(config, token);
        return server.PortProblems;
    };

    public Task WaitForFirstSyncAsync(CancellationToken cancellationToken) => _sync.WaitForFirstSyncAsync(cancellationToken);

    public ValueTask DisposeAsync() => _sync.DisposeAsync();

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var state = new GatewayState(_classes.List(), _gateways.List(), _routes.List(), _grants.List(), _namespaces.List(), _services.List(), _slices.List(), _secrets.List());
        var config = _builder.Build(state);
        var problems = await _publish(config, cancellationToken);
        config = WithPortProblems(config, problems);
        Current = config;
        Generation++;
        GatewayLog.Published(_logger, Generation, config.Ports.Count, config.Gateways.Count, config.Routes.Count);
        if (!_updateStatus)
        {
            return;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var result in config.Classes)
        {
            if (_classes.Get(result.Name) is { } gatewayClass && !Same(gatewayClass.Status?.Conditions, result.Conditions))
            {
                await WriteAsync(new V1GatewayClass
                {
                    Metadata = gatewayClass.Metadata,
                    Spec = gatewayClass.Spec,
                    Status = new GatewayClassStatus { Conditions = Stamp(result.Conditions, gatewayClass.Status?.Conditions, now) },
                }, cancellationToken);
            }
        }

        foreach (var result in config.Gateways)
        {
            if (_gateways.Get(result.Key) is not { } gateway || SameGateway(gateway.Status, result))
            {
                continue;
            }

            var before = gateway.Status?.Listeners ?? [];
            await WriteAsync(new V1Gateway
            {
                Metadata = gateway.Metadata,
                Spec = gateway.Spec,
                Status = new GatewayStatus
                {
                    Addresses = [.. result.Addresses.Select(a => new GatewayStatusAddress { Type = System.Net.IPAddress.TryParse(a, out _) ? "IPAddress" : "Hostname", Value = a })],
                    Conditions = Stamp(result.Conditions, gateway.Status?.Conditions, now),
                    Listeners = [.. result.Listeners.Select(l => new ListenerStatus
                    {
                        Name = l.Name,
                        SupportedKinds = l.SupportedKinds,
                        AttachedRoutes = l.AttachedRoutes,
                        Conditions = Stamp(l.Conditions, before.FirstOrDefault(b => b.Name == l.Name)?.Conditions, now),
                    })],
                },
            }, cancellationToken);
        }

        foreach (var result in config.Routes)
        {
            if (_routes.Get(result.Key) is not { } route)
            {
                continue;
            }

            var current = route.Status?.Parents ?? [];
            var mine = current.Where(p => p.ControllerName == _builder.ControllerName).ToList();
            if (mine.Count == result.Parents.Count && mine.Zip(result.Parents).All(p => SameRef(p.First.ParentRef, p.Second.ParentRef) && Same(p.First.Conditions, p.Second.Conditions)))
            {
                continue;
            }

            await WriteAsync(new V1HttpRoute
            {
                Metadata = route.Metadata,
                Spec = route.Spec,
                Status = new HttpRouteStatus
                {
                    Parents =
                    [
                        .. current.Where(p => p.ControllerName != _builder.ControllerName),
                        .. result.Parents.Select(p => new RouteParentStatus
                        {
                            ParentRef = p.ParentRef,
                            ControllerName = p.ControllerName,
                            Conditions = Stamp(p.Conditions, mine.FirstOrDefault(m => SameRef(m.ParentRef, p.ParentRef))?.Conditions, now),
                        }),
                    ],
                },
            }, cancellationToken);
        }

        await ForgetStaleParentsAsync(config, cancellationToken);
    }

    /// <summary>A route no longer attached to any Gateway of ours (the Gateway or its class went away) loses our parent entries.</summary>
    private async Task ForgetStaleParentsAsync(GatewayConfig config, CancellationToken cancellationToken)
    {
        var reported = config.Routes.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var route in _routes.List())
        {
            var parents = route.Status?.Parents ?? [];
            if (reported.Contains(GatewayConfigBuilder.KeyOf(route)) || !parents.Any(p => p.ControllerName == _builder.ControllerName))
            {
                continue;
            }

            await WriteAsync(new V1HttpRoute
            {
                Metadata = route.Metadata,
                Spec = route.Spec,
                Status = new HttpRouteStatus { Parents = [.. parents.Where(p => p.ControllerName != _builder.ControllerName)] },
            }, cancellationToken);
        }
    }

    private async Task WriteAsync<T>(T obj, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await _client.UpdateStatusAsync(obj, cancellationToken);
        }
        catch (KubeApiException e)
        {
            // A conflict means a newer version is on its way through the informer, which syncs again.
            GatewayLog.StatusFailed(_logger, obj.Kind, $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}", e.Message);
        }
    }

    /// <summary>A listener whose port could not be opened is not Programmed, and neither is a Gateway left without one.</summary>
    private GatewayConfig WithPortProblems(GatewayConfig config, IReadOnlyDictionary<int, string> problems)
    {
        if (problems.Count == 0)
        {
            return config;
        }

        var gateways = config.Gateways.Select(result =>
        {
            if (_gateways.Get(result.Key) is not { } gateway)
            {
                return result;
            }

            var ports = gateway.Spec.Listeners.ToDictionary(l => l.Name, l => l.Port);
            var listeners = result.Listeners.Select(l =>
            {
                if (!ports.TryGetValue(l.Name, out var port) || !problems.TryGetValue(port, out var problem))
                {
                    return l;
                }

                return new ListenerStatus
                {
                    Name = l.Name,
                    SupportedKinds = l.SupportedKinds,
                    AttachedRoutes = l.AttachedRoutes,
                    Conditions = [.. l.Conditions.Select(c => c.Type == Programmed && c.Status == "True" ? Make(Programmed, false, ReasonInvalid, $"cannot listen on port {port}: {problem}", c.ObservedGeneration) : c)],
                };
            }).ToList();
            var anyProgrammed = listeners.Any(l => l.Conditions.Any(c => c.Type == Programmed && c.Status == "True"));
            var conditions = result.Conditions.Select(c => c.Type == Programmed && !anyProgrammed ? Make(Programmed, false, ReasonInvalid, "no listener can be served", c.ObservedGeneration) : c).ToList();
            return result with { Conditions = conditions, Listeners = listeners };
        }).ToList();
        return config with { Gateways = gateways };
    }

    private static bool SameGateway(GatewayStatus? status, GatewayResult result) =>
        status is not null
        && Same(status.Conditions, result.Conditions)
        && (status.Addresses ?? []).Select(a => a.Value).SequenceEqual(result.Addresses)
        && (status.Listeners ?? []).Count == result.Listeners.Count
        && status.Listeners!.Zip(result.Listeners).All(p => p.First.Name == p.Second.Name && p.First.AttachedRoutes == p.Second.AttachedRoutes
            && p.First.SupportedKinds.Select(k => (k.Group, k.Kind)).SequenceEqual(p.Second.SupportedKinds.Select(k => (k.Group, k.Kind)))
            && Same(p.First.Conditions, p.Second.Conditions));

    private static bool SameRef(ParentReference a, ParentReference b) =>
        a.Name == b.Name && (a.Namespace ?? "") == (b.Namespace ?? "") && a.SectionName == b.SectionName && a.Port == b.Port;
}
