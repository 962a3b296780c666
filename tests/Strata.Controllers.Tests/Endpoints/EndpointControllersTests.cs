using k8s.Models;
using Strata.Controllers.Endpoints;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Endpoints;

/// <summary>Both endpoint controllers against a real API server, observed with the real kubectl where users look.</summary>
public sealed class EndpointControllersTests
{
    private const string Ns = "default";

    private static async Task<ControlPlane> StartAsync()
    {
        var plane = await ControlPlane.StartAsync("endpointslice", "endpoints");
        await plane.AddNodeAsync("node-a", "192.168.50.10");
        return plane;
    }

    private static V1Service Service(string name, IDictionary<string, string>? selector, int port = 80, IntOrString? targetPort = null, string? clusterIP = null, bool publishNotReady = false, string? portName = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Labels = new Dictionary<string, string> { ["tier"] = "web" } },
        Spec = new V1ServiceSpec
        {
            Selector = selector,
            ClusterIP = clusterIP,
            PublishNotReadyAddresses = publishNotReady,
            Ports = [new V1ServicePort { Name = portName, Port = port, TargetPort = targetPort ?? (IntOrString)port, Protocol = "TCP" }],
        },
    };

    private static async Task<V1Pod> RunPodAsync(ControlPlane plane, string name, string ip, IDictionary<string, string> labels, bool ready = true, int containerPort = 80, string? portName = null, string? hostname = null, string? subdomain = null)
    {
        var pod = await plane.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns, Labels = labels },
            Spec = new V1PodSpec
            {
                NodeName = "node-a",
                Hostname = hostname,
                Subdomain = subdomain,
                Containers = [new V1Container { Name = "app", Image = "nginx", Ports = [new V1ContainerPort { Name = portName, ContainerPort = containerPort, Protocol = "TCP" }] }],
            },
        });
        return await SetStatusAsync(plane, pod, ip, ready);
    }

    private static async Task<V1Pod> SetStatusAsync(ControlPlane plane, V1Pod pod, string ip, bool ready)
    {
        pod = (await plane.Client.GetAsync<V1Pod>(Ns, pod.Metadata.Name))!;
        pod.Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = ip,
            PodIPs = [new V1PodIP { Ip = ip }],
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = DateTime.UtcNow }],
        };
        return await plane.Client.UpdateStatusAsync(pod);
    }

    private static Dictionary<string, string> App(string app) => new() { ["app"] = app };

    private static async Task<IReadOnlyList<V1EndpointSlice>> SlicesAsync(ControlPlane plane, string service) =>
        await plane.ListAsync<V1EndpointSlice>(Ns, $"kubernetes.io/service-name={service}");

    private static IEnumerable<V1Endpoint> AllEndpoints(IEnumerable<V1EndpointSlice> slices) => slices.SelectMany(s => s.Endpoints ?? []);

    private static string ReadyIps(IEnumerable<V1EndpointSlice> slices) =>
        string.Join(",", AllEndpoints(slices).Where(e => e.Conditions?.Ready == true).SelectMany(e => e.Addresses).Order());

    [Fact]
    public async Task Nginx_service_with_three_ready_pods_shows_in_kubectl_endpoints_and_endpointslices()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("nginx-service", App("nginx")));
        for (var i = 2; i <= 4; i++)
        {
            await RunPodAsync(plane, $"nginx-{i}", $"10.233.64.{i}", App("nginx"));
        }

        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpoints", "nginx-service").Contains("10.233.64.2:80,10.233.64.3:80,10.233.64.4:80")),
            "kubectl get endpoints to list the three pods");
        var table = plane.KubectlOk("get", "endpoints", "nginx-service");
        Assert.Matches(@"NAME\s+ENDPOINTS\s+AGE", table);
        Assert.Matches(@"nginx-service\s+10\.233\.64\.2:80,10\.233\.64\.3:80,10\.233\.64\.4:80\s", table);

        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx-service").Contains("10.233.64.2,10.233.64.3,10.233.64.4")),
            "kubectl get endpointslices to list the three pods");
        var slices = plane.KubectlOk("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx-service");
        Assert.Matches(@"nginx-service-\w+\s+IPv4\s+80\s+10\.233\.64\.2,10\.233\.64\.3,10\.233\.64\.4\s", slices);

        var slice = Assert.Single(await SlicesAsync(plane, "nginx-service"));
        var service = (await plane.Client.GetAsync<V1Service>(Ns, "nginx-service"))!;
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("web", slice.Metadata.Labels["tier"]);
        Assert.StartsWith("nginx-service-", slice.Metadata.Name);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "nginx-service", service.Metadata.Uid, true, true), (owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        Assert.True(slice.Metadata.Annotations.ContainsKey("endpoints.kubernetes.io/last-change-trigger-time"));
        var endpoint = slice.Endpoints.Single(e => e.Addresses[0] == "10.233.64.3");
        Assert.Equal(("node-a", "Pod", "nginx-3", true, true, false),
            (endpoint.NodeName, endpoint.TargetRef.Kind, endpoint.TargetRef.Name, endpoint.Conditions.Ready, endpoint.Conditions.Serving, endpoint.Conditions.Terminating));
        var port = Assert.Single(slice.Ports);
        Assert.Equal((80, "TCP"), (port.Port, port.Protocol));

        var endpoints = (await plane.Client.GetAsync<V1Endpoints>(Ns, "nginx-service"))!;
        Assert.Equal("web", endpoints.Metadata.Labels["tier"]);
        Assert.Equal("nginx-3", Assert.Single(endpoints.Subsets).Addresses.Single(a => a.Ip == "10.233.64.3").TargetRef.Name);
    }

    [Fact]
    public async Task Unready_pod_is_not_ready_in_slices_and_moves_to_not_ready_addresses_unless_published()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("web-unready", App("unready")));
        await plane.Client.CreateAsync(Service("web-publish", App("unready"), publishNotReady: true));
        var a = await RunPodAsync(plane, "unready-a", "10.233.64.20", App("unready"));
        await RunPodAsync(plane, "unready-b", "10.233.64.21", App("unready"));
        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "web-unready")) == "10.233.64.20,10.233.64.21", "both ready");

        await SetStatusAsync(plane, a, "10.233.64.20", ready: false);

        var slices = await ControlPlane.EventuallyAsync(() => SlicesAsync(plane, "web-unready"), s => ReadyIps(s) == "10.233.64.21", "the unready pod to be not ready");
        var unready = AllEndpoints(slices).Single(e => e.Addresses[0] == "10.233.64.20");
        Assert.Equal((false, false, false), (unready.Conditions.Ready, unready.Conditions.Serving, unready.Conditions.Terminating));
        var endpoints = await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Endpoints>(Ns, "web-unready"),
            e => e?.Subsets is [{ NotReadyAddresses.Count: 1 }], "the unready pod in notReadyAddresses");
        var subset = Assert.Single(endpoints!.Subsets);
        Assert.Equal("10.233.64.21", Assert.Single(subset.Addresses).Ip);
        Assert.Equal("10.233.64.20", Assert.Single(subset.NotReadyAddresses).Ip);
        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpoints", "web-unready").Contains(" 10.233.64.21:80 ")),
            "kubectl to show only the ready address");

        var published = await ControlPlane.EventuallyAsync(() => SlicesAsync(plane, "web-publish"), s => AllEndpoints(s).Count() == 2 && ReadyIps(s) == "10.233.64.20,10.233.64.21", "published not-ready pod stays ready");
        Assert.False(AllEndpoints(published).Single(e => e.Addresses[0] == "10.233.64.20").Conditions.Serving);
        var publishedEndpoints = await ControlPlane.EventuallyAsync(
            () => plane.Client.GetAsync<V1Endpoints>(Ns, "web-publish"),
            e => e?.Subsets is [{ Addresses.Count: 2 }], "both addresses ready in Endpoints");
        Assert.Null(publishedEndpoints!.Subsets[0].NotReadyAddresses);
    }

    [Fact]
    public async Task Scaling_pods_three_to_five_to_three_is_reflected()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("scaled", App("scaled")));
        for (var i = 1; i <= 3; i++)
        {
            await RunPodAsync(plane, $"scaled-{i}", $"10.233.65.{i}", App("scaled"));
        }

        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "scaled")) == "10.233.65.1,10.233.65.2,10.233.65.3", "three endpoints");
        var first = Assert.Single(await SlicesAsync(plane, "scaled")).Metadata.Name;

        await RunPodAsync(plane, "scaled-4", "10.233.65.4", App("scaled"));
        await RunPodAsync(plane, "scaled-5", "10.233.65.5", App("scaled"));
        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "scaled")) == "10.233.65.1,10.233.65.2,10.233.65.3,10.233.65.4,10.233.65.5", "five endpoints");
        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpoints", "scaled").Contains("10.233.65.1:80,10.233.65.2:80,10.233.65.3:80 + 2 more...")),
            "kubectl to show five endpoints");

        await plane.Client.DeleteAsync<V1Pod>(Ns, "scaled-4", new Strata.Controllers.Client.DeleteRequest(GracePeriodSeconds: 0));
        await plane.Client.DeleteAsync<V1Pod>(Ns, "scaled-5", new Strata.Controllers.Client.DeleteRequest(GracePeriodSeconds: 0));
        await ControlPlane.EventuallyAsync(async () => AllEndpoints(await SlicesAsync(plane, "scaled")).Count() == 3, "back to three endpoints");
        Assert.Equal(first, Assert.Single(await SlicesAsync(plane, "scaled")).Metadata.Name);
        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpoints", "scaled").Contains(" 10.233.65.1:80,10.233.65.2:80,10.233.65.3:80 ")),
            "kubectl to show three endpoints");
    }

    [Fact]
    public async Task Named_target_port_is_resolved_per_pod()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("named", App("named"), port: 80, targetPort: (IntOrString)"http", portName: "web"));
        await RunPodAsync(plane, "named-a", "10.233.66.1", App("named"), containerPort: 8080, portName: "http");
        await RunPodAsync(plane, "named-b", "10.233.66.2", App("named"), containerPort: 9090, portName: "http");

        var slices = await ControlPlane.EventuallyAsync(() => SlicesAsync(plane, "named"), s => s.Count == 2 && AllEndpoints(s).Count() == 2, "one slice per port");
        var byPort = slices.ToDictionary(s => Assert.Single(s.Ports).Port!.Value, s => Assert.Single(s.Endpoints).Addresses[0]);
        Assert.Equal("10.233.66.1", byPort[8080]);
        Assert.Equal("10.233.66.2", byPort[9090]);
        Assert.All(slices, s => Assert.Equal("web", s.Ports[0].Name));

        await ControlPlane.EventuallyAsync(
            () => Task.FromResult(plane.KubectlOk("get", "endpoints", "named").Contains("10.233.66.1:8080,10.233.66.2:9090")),
            "kubectl to show each pod's port");
    }

    [Fact]
    public async Task Headless_service_slices_carry_hostnames_of_pods_naming_it_as_subdomain()
    {
        await using var plane = await StartAsync();
        var service = await plane.Client.CreateAsync(Service("headless", App("db"), clusterIP: "None"));
        await RunPodAsync(plane, "db-0", "10.233.67.1", App("db"), hostname: "db-0", subdomain: "headless");
        await RunPodAsync(plane, "db-x", "10.233.67.2", App("db"), hostname: "db-x", subdomain: "other");

        var slices = await ControlPlane.EventuallyAsync(() => SlicesAsync(plane, "headless"), s => AllEndpoints(s).Count() == 2, "two endpoints");
        var slice = Assert.Single(slices);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal("", slice.Metadata.Labels["service.kubernetes.io/headless"]);
        Assert.Equal("db-0", slice.Endpoints.Single(e => e.Addresses[0] == "10.233.67.1").Hostname);
        Assert.Null(slice.Endpoints.Single(e => e.Addresses[0] == "10.233.67.2").Hostname);

        var endpoints = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Endpoints>(Ns, "headless"), e => e?.Subsets is [{ Addresses.Count: 2 }], "Endpoints");
        Assert.Equal("db-0", endpoints!.Subsets[0].Addresses.Single(a => a.Ip == "10.233.67.1").Hostname);
        Assert.Equal("", endpoints.Metadata.Labels["service.kubernetes.io/headless"]);
        Assert.Equal("None", service.Spec.ClusterIP);
    }

    [Fact]
    public async Task More_than_a_hundred_pods_make_several_slices_of_at_most_a_hundred()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("many", App("many")));
        await Task.WhenAll(Enumerable.Range(1, 230).Select(i => RunPodAsync(plane, $"many-{i}", $"10.233.68.{i}", App("many"))));

        var slices = await ControlPlane.EventuallyAsync(() => SlicesAsync(plane, "many"), s => AllEndpoints(s).Count() == 230, "230 endpoints", TimeSpan.FromSeconds(60));
        Assert.Equal(3, slices.Count);
        Assert.All(slices, s => Assert.InRange(s.Endpoints.Count, 1, 100));
        Assert.Equal(230, AllEndpoints(slices).Select(e => e.Addresses[0]).Distinct().Count());

        var endpoints = await ControlPlane.EventuallyAsync(() => plane.Client.GetAsync<V1Endpoints>(Ns, "many"), e => e?.Subsets is [{ Addresses.Count: 230 }], "Endpoints of 230");
        Assert.False(endpoints!.Metadata.Annotations?.ContainsKey(EndpointsPlanner.OverCapacityAnnotation) ?? false);
    }

    [Fact]
    public async Task Selectorless_service_keeps_user_endpoints_and_slices()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("external-db", selector: null, port: 5432));
        var userEndpoints = await plane.Client.CreateAsync(new V1Endpoints
        {
            ApiVersion = "v1",
            Kind = "Endpoints",
            Metadata = new V1ObjectMeta { Name = "external-db", NamespaceProperty = Ns },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.10" }], Ports = [new Corev1EndpointPort { Port = 5432, Protocol = "TCP" }] }],
        });
        var userSlice = await plane.Client.CreateAsync(new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = new V1ObjectMeta
            {
                Name = "external-db-1", NamespaceProperty = Ns,
                Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "external-db", ["endpointslice.kubernetes.io/managed-by"] = "staff" },
            },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["192.0.2.10"] }],
            Ports = [new Discoveryv1EndpointPort { Port = 5432, Protocol = "TCP", Name = "" }],
        });
        // A pod and a selector Service in the same namespace prove the controllers are working meanwhile.
        await plane.Client.CreateAsync(Service("witness", App("witness")));
        await RunPodAsync(plane, "witness-1", "10.233.69.1", App("witness"));
        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "witness")) == "10.233.69.1", "the witness slice");
        await ControlPlane.EventuallyAsync(async () => (await plane.Client.GetAsync<V1Endpoints>(Ns, "witness"))?.Subsets?.Count == 1, "the witness Endpoints");

        var slice = Assert.Single(await SlicesAsync(plane, "external-db"));
        Assert.Equal(("external-db-1", userSlice.Metadata.ResourceVersion), (slice.Metadata.Name, slice.Metadata.ResourceVersion));
        var endpoints = (await plane.Client.GetAsync<V1Endpoints>(Ns, "external-db"))!;
        Assert.Equal(userEndpoints.Metadata.ResourceVersion, endpoints.Metadata.ResourceVersion);
        Assert.Equal("192.0.2.10", Assert.Single(Assert.Single(endpoints.Subsets).Addresses).Ip);
        Assert.Matches(@"external-db\s+192\.0\.2\.10:5432\s", plane.KubectlOk("get", "endpoints", "external-db"));
    }

    [Fact]
    public async Task Deleting_the_service_removes_its_slices_and_endpoints_and_dropping_the_selector_its_slices()
    {
        await using var plane = await StartAsync();
        await plane.Client.CreateAsync(Service("doomed", App("doomed")));
        var kept = await plane.Client.CreateAsync(Service("unselected", App("doomed")));
        await RunPodAsync(plane, "doomed-1", "10.233.70.1", App("doomed"));
        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "doomed")) == "10.233.70.1", "slice");
        await ControlPlane.EventuallyAsync(async () => ReadyIps(await SlicesAsync(plane, "unselected")) == "10.233.70.1", "slice");
        await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Endpoints>(Ns, "doomed") is not null, "Endpoints");

        plane.KubectlOk("delete", "service", "doomed");
        await ControlPlane.EventuallyAsync(async () => (await SlicesAsync(plane, "doomed")).Count == 0, "the slices to go");
        await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Endpoints>(Ns, "doomed") is null, "the Endpoints to go");
        var (code, _, stderr) = plane.Kubectl("get", "endpoints", "doomed");
        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr);

        kept = (await plane.Client.GetAsync<V1Service>(Ns, "unselected"))!;
        kept.Spec.Selector = null;
        await plane.Client.UpdateAsync(kept);
        await ControlPlane.EventuallyAsync(async () => (await SlicesAsync(plane, "unselected")).Count == 0, "the managed slices of a Service without selector to go");
        // Its Endpoints now belong to the user: left as they were.
        Assert.NotNull(await plane.Client.GetAsync<V1Endpoints>(Ns, "unselected"));
    }
}
