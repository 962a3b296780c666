using System.Net;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Controllers.NodeIpam;

namespace Strata.Controllers.LoadBalancer;

/// <summary>
/// Hands out LoadBalancer addresses from one pool, as MetalLB's controller does (controller/service.go): a Service of
/// type LoadBalancer without a <c>spec.loadBalancerClass</c> gets <c>status.loadBalancer.ingress: [{ip, ipMode: VIP}]</c>,
/// the address it asks for in <c>spec.loadBalancerIP</c> or the <c>metallb.universe.tf/loadBalancerIPs</c> annotation if
/// it asks, else the lowest free one. The allocation lives in memory and is rebuilt from the statuses at start, so an
/// address survives a restart. A Service that is deleted, changes type or gets a class gives its address back. When no
/// address fits, the Service stays pending with a Warning Event AllocationFailed saying why, and is retried when an
/// address frees up. Announcing the address on the network is the speakers' job (Strata.LoadBalancer).
/// </summary>
public sealed class LoadBalancerIpamController : Controller
{
    public const string ControllerName = "service-lb-ipam";
    public const string LoadBalancerIPsAnnotation = "metallb.universe.tf/loadBalancerIPs";
    public const string AllocationFailed = "AllocationFailed";
    public const string IPAllocated = "IPAllocated";

    private readonly IKubeClient _client;
    private readonly Informer<V1Service> _services;
    private readonly EventRecorder _recorder;
    private readonly LoadBalancerAllocator _allocator;
    private readonly Lock _lock = new();

    // Services left without an address: retried whenever one is released.
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);

    public LoadBalancerIpamController(ControllerContext context, AddressPool pool)
        : base(ControllerName, context.Logger(ControllerName), workers: 1)
    {
        _client = context.Client;
        _recorder = context.Recorder($"{ControllerName}-controller");
        _allocator = new LoadBalancerAllocator(pool);
        _services = context.Informers.For<V1Service>();
        _services.AddHandler(
            added: s => Enqueue(ObjectKey.Of(s)),
            updated: (_, s) => Enqueue(ObjectKey.Of(s)),
            deleted: s => Enqueue(ObjectKey.Of(s)));
    }

    public LoadBalancerAllocator Allocator => _allocator;

    protected override IEnumerable<IInformer> Informers => [_services];

    /// <summary>Occupies the addresses Services already show, oldest Service first, before anything new is handed out.</summary>
    protected override IEnumerable<string> InitialKeys()
    {
        var services = _services.List().OrderBy(s => s.Metadata.CreationTimestamp).ThenBy(ObjectKey.Of, StringComparer.Ordinal).ToList();
        foreach (var service in services.Where(IsOurs))
        {
            if (ShownAddress(service) is { } shown && Requested(service, out _) is var requested && (requested is null || requested.Equals(shown)))
            {
                _allocator.Assign(ObjectKey.Of(service), shown);
            }
        }

        return services.Select(ObjectKey.Of);
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var service = _services.Get(key);
        if (service is null)
        {
            Release(key);
            return;
        }

        if (!IsOurs(service))
        {
            var held = _allocator.AddressOf(key);
            Release(key);

            // A Service that left type LoadBalancer loses its address; one that moved to another class keeps whatever
            // that class's implementation wrote, unless it is still the address this controller gave it.
            var otherClass = service.Spec?.Type == "LoadBalancer";
            if (ShownAddress(service) is { } shown && (!otherClass || shown.Equals(held)))
            {
                await WriteStatusAsync(service, null, cancellationToken);
            }

            return;
        }

        var requested = Requested(service, out var badRequest);
        var heldBefore = _allocator.AddressOf(key);
        LoadBalancerAllocation allocation;
        if (badRequest is not null)
        {
            Release(key);
            allocation = new(null, badRequest);
        }
        else
        {
            // An address the status shows but this allocator does not hold yet (set before a restart raced this start,
            // or by hand) is kept when it is free.
            if (_allocator.AddressOf(key) is null && ShownAddress(service) is { } shown && (requested is null || requested.Equals(shown)))
            {
                _allocator.Assign(key, shown);
            }

            allocation = _allocator.Assign(key, requested);
        }

        if (allocation.Address is not { } address)
        {
            lock (_lock)
            {
                _waiting.Add(key);
            }

            if (heldBefore is not null)
            {
                // The address it held before its request changed is free for the others now.
                LoadBalancerLog.Released(Logger, key, heldBefore);
                WakeWaiting(except: key);
            }

            LoadBalancerLog.NotAllocated(Logger, key, allocation.Error!);
            if (ShownAddress(service) is not null)
            {
                await WriteStatusAsync(service, null, cancellationToken);
            }

            await _recorder.WarningAsync(service, AllocationFailed, $"Failed to allocate IP for \"{key}\": {allocation.Error}", cancellationToken);
            return;
        }

        lock (_lock)
        {
            _waiting.Remove(key);
        }

        if (!Shows(service, address) && await WriteStatusAsync(service, address, cancellationToken) is { } written)
        {
            LoadBalancerLog.Allocated(Logger, key, address);
            await _recorder.NormalAsync(written, IPAllocated, $"Assigned IP [\"{address}\"]", cancellationToken);
        }
    }

    /// <summary>Services this pool serves: type LoadBalancer with no loadBalancerClass (MetalLB without --lb-class).</summary>
    public static bool IsOurs(V1Service service) =>
        service.Spec?.Type == "LoadBalancer" && string.IsNullOrEmpty(service.Spec.LoadBalancerClass);

    /// <summary>
    /// The address the Service asks for: <c>spec.loadBalancerIP</c> (deprecated, still honoured), else the first of
    /// MetalLB's annotation. Text that is not an address is an error naming the field.
    /// </summary>
    internal static IPAddress? Requested(V1Service service, out string? error)
    {
        error = null;
        string? field = null, text = null;
        if (!string.IsNullOrEmpty(service.Spec?.LoadBalancerIP))
        {
            (field, text) = ("spec.loadBalancerIP", service.Spec.LoadBalancerIP);
        }
        else if (service.Metadata.Annotations?.TryGetValue(LoadBalancerIPsAnnotation, out var annotation) == true && !string.IsNullOrWhiteSpace(annotation))
        {
            (field, text) = ($"annotation {LoadBalancerIPsAnnotation}", annotation.Split(',', StringSplitOptions.TrimEntries)[0]);
        }

        if (text is null)
        {
            return null;
        }

        if (!IpCidr.TryParseAddress(text, out var address))
        {
            error = $"{field} \"{text}\" is not an IP address";
            return null;
        }

        return address;
    }

    /// <summary>The first address of the status that is in this pool (null when none is).</summary>
    private IPAddress? ShownAddress(V1Service service) =>
        (service.Status?.LoadBalancer?.Ingress ?? [])
            .Select(i => IpCidr.TryParseAddress(i.Ip, out var a) ? a : null)
            .FirstOrDefault(a => a is not null && _allocator.Pool.Contains(a));

    private static bool Shows(V1Service service, IPAddress address) =>
        service.Status?.LoadBalancer?.Ingress is [{ Hostname: null or "" } only] && only.Ip == address.ToString() && only.IpMode == "VIP";

    /// <summary>Sets (or with null, clears) the status on the live object; returns it as written, or null when the Service is gone.</summary>
    private Task<V1Service?> WriteStatusAsync(V1Service seen, IPAddress? address, CancellationToken cancellationToken) =>
        _client.UpdateLiveStatusAsync<V1Service>(seen.Metadata.NamespaceProperty, seen.Metadata.Name, seen.Metadata.Uid, live =>
        {
            if (address is not null ? Shows(live, address) : ShownAddress(live) is null)
            {
                return false;
            }

            live.Status ??= new V1ServiceStatus();
            live.Status.LoadBalancer = new V1LoadBalancerStatus
            {
                Ingress = address is null ? null : [new V1LoadBalancerIngress { Ip = address.ToString(), IpMode = "VIP" }],
            };
            return true;
        }, cancellationToken);

    private void Release(string key)
    {
        lock (_lock)
        {
            _waiting.Remove(key);
            if (_allocator.AddressOf(key) is not { } address || !_allocator.Release(key))
            {
                return;
            }

            LoadBalancerLog.Released(Logger, key, address);
        }

        WakeWaiting(except: key);
    }

    private void WakeWaiting(string except)
    {
        string[] waiting;
        lock (_lock)
        {
            waiting = [.. _waiting.Where(k => k != except)];
        }

        foreach (var other in waiting)
        {
            Enqueue(other);
        }
    }
}

internal static partial class LoadBalancerLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "service {Service} was given load balancer IP {Address}")]
    public static partial void Allocated(ILogger logger, string service, IPAddress address);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "service {Service} gave back load balancer IP {Address}")]
    public static partial void Released(ILogger logger, string service, IPAddress address);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "service {Service} gets no load balancer IP: {Reason}")]
    public static partial void NotAllocated(ILogger logger, string service, string reason);
}
