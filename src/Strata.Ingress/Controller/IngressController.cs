using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Ingress.Configuration;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Controller;

/// <summary>
/// The control plane of <c>strata ingress</c>: informers on Ingresses, IngressClasses, Services, EndpointSlices and
/// Secrets; every change (coalesced) rebuilds the route table and swaps it into the proxy, with no reload. Each new
/// problem becomes a Warning Event on its Ingress (as ingress-nginx reports a rejected annotation), and each Ingress
/// served gets <c>status.loadBalancer.ingress</c> set to the controller's addresses.
/// </summary>
public sealed class IngressController : IAsyncDisposable
{
    private readonly IKubeClient _client;
    private readonly RouteTableBuilder _builder;
    private readonly Action<RouteTable> _publish;
    private readonly IReadOnlyList<string> _addresses;
    private readonly ILogger _logger;
    private readonly EventRecorder _events;
    private readonly Informer<V1Ingress> _ingresses;
    private readonly Informer<V1IngressClass> _classes;
    private readonly Informer<V1Service> _services;
    private readonly Informer<V1EndpointSlice> _slices;
    private readonly Informer<V1Secret> _secrets;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly CoalescedSync _sync;

    private readonly bool _updateStatus;

    /// <summary>--publish-service (namespace/name): the Service whose addresses the status shows instead of <see cref="_addresses"/>.</summary>
    private readonly string? _publishService;

    private IngressController(IKubeClient client, RouteTableBuilder builder, Action<RouteTable> publish, IReadOnlyList<string> addresses, ILoggerFactory loggers, bool updateStatus, string? publishService)
    {
        _publishService = publishService;
        _updateStatus = updateStatus;
        _client = client;
        _builder = builder;
        _publish = publish;
        _addresses = addresses;
        _logger = loggers.CreateLogger("Strata.Ingress.Controller");
        _events = new EventRecorder(client, "nginx-ingress-controller", _logger);
        _sync = new CoalescedSync(SyncAsync, e => ControllerLog.SyncFailed(_logger, e.Message));
        var factory = new InformerFactory(client, loggers);
        _ingresses = factory.For<V1Ingress>();
        _classes = factory.For<V1IngressClass>();
        _services = factory.For<V1Service>();
        _slices = factory.For<V1EndpointSlice>();
        _secrets = factory.For<V1Secret>();
        _sync.Watch(_ingresses);
        _sync.Watch(_classes);
        _sync.Watch(_services);
        _sync.Watch(_slices);
        _sync.Watch(_secrets);
    }

    /// <summary>The number of route tables published so far.</summary>
    public int Generation { get; private set; }

    /// <summary>The last table published.</summary>
    public RouteTable Current { get; private set; } = RouteTable.Empty;

    /// <summary>
    /// Starts the informers and the sync loop; the first table is published once every informer has synced. Without
    /// <paramref name="updateStatus"/> nothing is written to the cluster (no Events, no status): a read-only look.
    /// </summary>
    public static IngressController Start(IKubeClient client, IngressClassIdentity identity, X509Certificate2 fakeCertificate, Action<RouteTable> publish,
        IReadOnlyList<string> addresses, ILoggerFactory loggers, bool updateStatus = true, string? publishService = null)
    {
        var controller = new IngressController(client, new RouteTableBuilder(identity, fakeCertificate), publish, addresses, loggers, updateStatus, publishService);
        controller._sync.Start([controller._ingresses, controller._classes, controller._services, controller._slices, controller._secrets]);
        return controller;
    }

    /// <summary>Completes when the first table built from synced informers has been published.</summary>
    public Task WaitForFirstSyncAsync(CancellationToken cancellationToken) => _sync.WaitForFirstSyncAsync(cancellationToken);

    public ValueTask DisposeAsync() => _sync.DisposeAsync();

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var state = new ClusterState(_ingresses.List(), _classes.List(), _services.List(), _slices.List(), _secrets.List());
        var table = _builder.Build(state);
        _publish(table);
        Current = table;
        Generation++;
        ControllerLog.Published(_logger, Generation, table.Hosts.Count, table.Admitted.Count, table.Problems.Count);

        if (!_updateStatus)
        {
            return;
        }

        foreach (var problem in table.Problems)
        {
            var key = $"{problem.Ingress}\n{problem.Reason}\n{problem.Message}";
            if (_reported.Contains(key))
            {
                continue;
            }

            ControllerLog.Problem(_logger, problem.Message);
            if (_ingresses.Get(problem.Ingress) is { } ingress)
            {
                await _events.WarningAsync(ingress, problem.Reason, problem.Message, cancellationToken);
            }

            _reported.Add(key);
        }

        // A problem that went away may be reported again if it comes back.
        _reported.IntersectWith(table.Problems.Select(p => $"{p.Ingress}\n{p.Reason}\n{p.Message}"));

        foreach (var name in table.Admitted)
        {
            if (_ingresses.Get(name) is { } ingress)
            {
                await UpdateStatusAsync(ingress, cancellationToken);
            }
        }
    }

    private async Task UpdateStatusAsync(V1Ingress ingress, CancellationToken cancellationToken)
    {
        var current = ingress.Status?.LoadBalancer?.Ingress?.Select(i => i.Ip ?? i.Hostname ?? "").Order(StringComparer.Ordinal).ToList() ?? [];
        var wanted = (_publishService is null ? _addresses : PublishService.Addresses(_services.Get(_publishService))).Order(StringComparer.Ordinal).ToList();
        if (current.SequenceEqual(wanted))
        {
            return;
        }

        // A copy: the informer's cached object stays as the server sent it.
        var updated = new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = ingress.Metadata,
            Spec = ingress.Spec,
            Status = new V1IngressStatus
            {
                LoadBalancer = new V1IngressLoadBalancerStatus
                {
                    Ingress = [.. wanted.Select(a => System.Net.IPAddress.TryParse(a, out _) ? new V1IngressLoadBalancerIngress { Ip = a } : new V1IngressLoadBalancerIngress { Hostname = a })],
                },
            },
        };
        try
        {
            await _client.UpdateStatusAsync(updated, cancellationToken);
        }
        catch (KubeApiException e)
        {
            // A conflict means a newer version is on its way through the informer, which syncs again.
            ControllerLog.StatusFailed(_logger, RouteTableBuilder.NameOf(ingress), e.Message);
        }
    }
}

internal static partial class ControllerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "configuration {Generation} applied: {Hosts} servers, {Admitted} ingresses, {Problems} problems")]
    public static partial void Published(ILogger logger, int generation, int hosts, int admitted, int problems);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Message}")]
    public static partial void Problem(ILogger logger, string message);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "status of {Ingress} not updated: {Error}")]
    public static partial void StatusFailed(ILogger logger, string ingress, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "sync failed, retrying: {Error}")]
    public static partial void SyncFailed(ILogger logger, string error);
}
