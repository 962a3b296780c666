using k8s.Models;
using Strata.ApiServer;
using Strata.Controllers.Client;
using Strata.Controllers.LoadBalancer;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.LoadBalancer;

/// <summary>The service-lb-ipam controller against a real API server: what the Services' status.loadBalancer become.</summary>
public sealed class LoadBalancerIpamControllerTests
{
    private const string Pool = "192.168.77.10-192.168.77.12";

    private static Task<ControlPlane> StartAsync(string pool = Pool) =>
        ControlPlane.StartAsync(new ApiServerOptions { LoadBalancerPool = pool }, LoadBalancerIpamController.ControllerName);

    private static async Task<V1Service> CreateAsync(ControlPlane plane, string name, string type = "LoadBalancer", string? requested = null, string? lbClass = null) =>
        await plane.Client.CreateAsync(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1ServiceSpec
            {
                Type = type,
                LoadBalancerIP = requested,
                LoadBalancerClass = lbClass,
                Selector = new Dictionary<string, string> { ["app"] = name },
                Ports = [new V1ServicePort { Port = 80, Protocol = "TCP" }],
            },
        });

    private static async Task<string?> AddressAsync(ControlPlane plane, string name) =>
        (await plane.Client.GetAsync<V1Service>("default", name))?.Status?.LoadBalancer?.Ingress?.SingleOrDefault()?.Ip;

    private static Task<string?> EventuallyAddressAsync(ControlPlane plane, string name, string? expected) =>
        ControlPlane.EventuallyAsync(() => AddressAsync(plane, name), a => a == expected, $"{name} to show {expected ?? "no address"}");

    [Fact]
    public async Task Services_get_addresses_in_order_with_ipMode_VIP_an_event_and_kubectl_shows_them()
    {
        await using var plane = await StartAsync();
        await CreateAsync(plane, "lb-a");
        await EventuallyAddressAsync(plane, "lb-a", "192.168.77.10");
        await CreateAsync(plane, "lb-b");
        await EventuallyAddressAsync(plane, "lb-b", "192.168.77.11");

        var ingress = (await plane.Client.GetAsync<V1Service>("default", "lb-a"))!.Status.LoadBalancer.Ingress.Single();
        Assert.Equal(("192.168.77.10", "VIP"), (ingress.Ip, ingress.IpMode));
        Assert.Matches(@"lb-a\s+LoadBalancer\s+[0-9.]+\s+192\.168\.77\.10\s+80:3\d{4}/TCP", plane.KubectlOk("get", "svc", "lb-a"));
        var events = await ControlPlane.EventuallyAsync(() => plane.ListAsync<Corev1Event>("default"), l => l.Any(e => e.InvolvedObject.Name == "lb-a"), "an IPAllocated event");
        var allocated = events.Single(e => e.InvolvedObject.Name == "lb-a");
        Assert.Equal(("Normal", "IPAllocated", "Assigned IP [\"192.168.77.10\"]"), (allocated.Type, allocated.Reason, allocated.Message));

        // A ClusterIP Service and one with another class are left alone.
        await CreateAsync(plane, "plain", type: "ClusterIP");
        await CreateAsync(plane, "other-class", lbClass: "example.com/other");
        await CreateAsync(plane, "lb-c");
        await EventuallyAddressAsync(plane, "lb-c", "192.168.77.12");
        Assert.Null(await AddressAsync(plane, "plain"));
        Assert.Null(await AddressAsync(plane, "other-class"));
    }

    [Fact]
    public async Task Addresses_survive_a_restart_and_are_freed_by_delete_and_by_a_type_change()
    {
        await using var plane = await StartAsync();
        await CreateAsync(plane, "keep-a");
        await EventuallyAddressAsync(plane, "keep-a", "192.168.77.10");
        await CreateAsync(plane, "keep-b");
        await EventuallyAddressAsync(plane, "keep-b", "192.168.77.11");
        await plane.Client.DeleteAsync<V1Service>("default", "keep-a");

        await plane.Server.RestartAsync();
        // After the restart, .10 is free and .11 is still keep-b's: a new Service gets .10, the next .12.
        await CreateAsync(plane, "keep-c");
        await EventuallyAddressAsync(plane, "keep-c", "192.168.77.10");
        await CreateAsync(plane, "keep-d");
        await EventuallyAddressAsync(plane, "keep-d", "192.168.77.12");
        Assert.Equal("192.168.77.11", await AddressAsync(plane, "keep-b"));

        plane.KubectlOk("patch", "svc", "keep-b", "-p", "{\"spec\":{\"type\":\"ClusterIP\"}}");
        await EventuallyAddressAsync(plane, "keep-b", null);
        await CreateAsync(plane, "keep-e");
        await EventuallyAddressAsync(plane, "keep-e", "192.168.77.11");

        // Recreated with another class, the Service's old address goes to the next Service of the pool's class.
        await plane.Client.DeleteAsync<V1Service>("default", "keep-e");
        await CreateAsync(plane, "keep-e", lbClass: "example.com/other");
        await CreateAsync(plane, "keep-f");
        await EventuallyAddressAsync(plane, "keep-f", "192.168.77.11");
        Assert.Null(await AddressAsync(plane, "keep-e"));
    }

    [Fact]
    public async Task Exhaustion_and_bad_requests_leave_the_service_pending_with_a_warning_until_an_address_frees()
    {
        await using var plane = await StartAsync("192.168.77.10-192.168.77.11");
        await CreateAsync(plane, "x-a");
        await CreateAsync(plane, "x-b", requested: "192.168.77.11");
        await EventuallyAddressAsync(plane, "x-b", "192.168.77.11");
        await EventuallyAddressAsync(plane, "x-a", "192.168.77.10");

        await CreateAsync(plane, "x-full");
        await CreateAsync(plane, "x-outside", requested: "10.1.2.3");
        await CreateAsync(plane, "x-taken", requested: "192.168.77.10");
        var warnings = await ControlPlane.EventuallyAsync(
            () => plane.ListAsync<Corev1Event>("default"),
            l => l.Count(e => e.Reason == LoadBalancerIpamController.AllocationFailed) >= 3,
            "three AllocationFailed events");
        string Message(string name) => warnings.Single(e => e.InvolvedObject.Name == name && e.Reason == "AllocationFailed").Message;
        Assert.Equal("Failed to allocate IP for \"default/x-full\": no available IPs in pool 192.168.77.10-192.168.77.11 (2 of 2 in use)", Message("x-full"));
        Assert.Equal("Failed to allocate IP for \"default/x-outside\": requested IP \"10.1.2.3\" is not in the pool 192.168.77.10-192.168.77.11", Message("x-outside"));
        Assert.Equal("Failed to allocate IP for \"default/x-taken\": requested IP \"192.168.77.10\" is already assigned to default/x-a", Message("x-taken"));
        Assert.All(warnings.Where(e => e.Reason == "AllocationFailed"), e => Assert.Equal("Warning", e.Type));
        Assert.Matches(@"x-full\s+LoadBalancer\s+[0-9.]+\s+<pending>", plane.KubectlOk("get", "svc", "x-full"));
        Assert.Matches(@"Warning\s+AllocationFailed\s+.*no available IPs in pool", plane.KubectlOk("describe", "svc", "x-full"));

        // Freeing x-a's address gives it to the Service that asked for exactly that one; x-outside keeps waiting.
        await plane.Client.DeleteAsync<V1Service>("default", "x-full");
        await plane.Client.DeleteAsync<V1Service>("default", "x-a");
        await EventuallyAddressAsync(plane, "x-taken", "192.168.77.10");
        Assert.Null(await AddressAsync(plane, "x-outside"));

        // Freeing another lets a Service that waited for the full pool in.
        await CreateAsync(plane, "x-late");
        await ControlPlane.EventuallyAsync(() => plane.ListAsync<Corev1Event>("default"), l => l.Any(e => e.InvolvedObject.Name == "x-late" && e.Reason == "AllocationFailed"), "x-late to wait");
        await plane.Client.DeleteAsync<V1Service>("default", "x-b");
        await EventuallyAddressAsync(plane, "x-late", "192.168.77.11");
    }
}
