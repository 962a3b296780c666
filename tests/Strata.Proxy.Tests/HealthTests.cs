using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Proxy.Health;
using Strata.Proxy.Model;
using Strata.Proxy.Sync;

namespace Strata.Proxy.Tests;

/// <summary>The health servers: upstream's bodies and status codes (pure), then real HTTP in a scratch namespace.</summary>
public sealed class HealthTests
{
    private static readonly DateTime Start = new(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void GoTimesAreRfc3339NanoWithTrailingZerosTrimmed()
    {
        Assert.Equal("0001-01-01T00:00:00Z", GoFormat.Time(DateTime.MinValue));
        Assert.Equal("2026-12-06T08:00:00Z", GoFormat.Time(Start));
        Assert.Equal("2026-12-06T08:00:00.5Z", GoFormat.Time(Start.AddMilliseconds(500)));
        Assert.Equal("2026-12-06T08:00:00.1234567Z", GoFormat.Time(Start.AddTicks(1_234_567)));
        Assert.Equal("\"a\\\"b\"", GoFormat.Quote("a\"b"));
    }

    [Fact]
    public void TheServiceHealthCheckAnswersUpstreamsBodyAndHeaders()
    {
        var ok = HealthResponse.Service("default", "web", 2, proxyHealthy: true);
        Assert.Equal(200, ok.Status);
        Assert.Equal(
            [new("Content-Type", "application/json"), new("X-Content-Type-Options", "nosniff"), new("X-Load-Balancing-Endpoint-Weight", "2")],
            ok.Headers);
        // service_health.go's dedented template: tab indentation, no trailing newline.
        Assert.Equal("{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"web\"\n\t},\n\t\"localEndpoints\": 2,\n\t\"serviceProxyHealthy\": true\n}", ok.Body);

        Assert.Equal(503, HealthResponse.Service("default", "web", 0, proxyHealthy: true).Status);
        var unhealthy = HealthResponse.Service("default", "web", 3, proxyHealthy: false);
        Assert.Equal(503, unhealthy.Status);
        Assert.EndsWith("\"localEndpoints\": 3,\n\t\"serviceProxyHealthy\": false\n}", unhealthy.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void TheProxyIsUnhealthyOnlyWhenAQueuedUpdateWaitsLongerThanTheTimeout()
    {
        var now = Start;
        var health = new ProxyHealthTracker(TimeSpan.FromSeconds(60), () => now);

        // Starting up: healthy, no per-family status yet (omitted from the JSON), and lastUpdated is "now" when healthy.
        Assert.True(health.Health().Healthy);
        Assert.Equal(
            "{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"currentTime\":\"2026-12-06T08:00:00Z\",\"healthy\":true}",
            HealthResponse.Livez(health.Health()).Body);

        health.Updated();
        now = Start.AddSeconds(10);
        health.QueuedUpdate();
        now = Start.AddSeconds(40);
        health.QueuedUpdate(); // the oldest pending update counts
        now = Start.AddSeconds(69.5);
        Assert.True(health.Health().Healthy);

        now = Start.AddSeconds(70);
        var late = health.Health();
        Assert.False(late.Healthy);
        var livez = HealthResponse.Livez(late);
        Assert.Equal(503, livez.Status);
        Assert.Equal(
            "{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"currentTime\":\"2026-12-06T08:01:10Z\",\"healthy\":false,\"status\":{\"IPv4\":{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"healthy\":false}}}",
            livez.Body);
        Assert.Equal(503, HealthResponse.Service("default", "web", 1, health.Health().Healthy).Status);

        health.Updated();
        now = Start.AddSeconds(71);
        var synced = health.Health();
        Assert.True(synced.Healthy);
        Assert.Equal(Start.AddSeconds(70), synced.Status["IPv4"].LastUpdated);
    }

    [Fact]
    public void HealthzAlsoNeedsAnEligibleNode()
    {
        var now = Start;
        var health = new ProxyHealthTracker(TimeSpan.FromSeconds(60), () => now);
        health.Updated();
        now = Start.AddSeconds(5);

        // No Node object seen: not eligible (upstream's NodeManager has no node).
        var noNode = ProxyHealthServer.Respond("/healthz", health);
        Assert.Equal(503, noNode.Status);
        Assert.Equal(
            "{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"currentTime\":\"2026-12-06T08:00:05Z\",\"nodeEligible\":false,\"healthy\":true,\"status\":{\"IPv4\":{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"healthy\":true}}}",
            noNode.Body);
        Assert.Equal(200, ProxyHealthServer.Respond("/livez", health).Status);

        var node = new V1Node { Metadata = new V1ObjectMeta { Name = "node1" }, Spec = new V1NodeSpec() };
        health.SetNode(node);
        var ok = ProxyHealthServer.Respond("/healthz", health);
        Assert.Equal(200, ok.Status);
        Assert.Equal(
            "{\"lastUpdated\":\"2026-12-06T08:00:05Z\",\"currentTime\":\"2026-12-06T08:00:05Z\",\"nodeEligible\":true,\"healthy\":true,\"status\":{\"IPv4\":{\"lastUpdated\":\"2026-12-06T08:00:00Z\",\"healthy\":true}}}",
            ok.Body);

        node.Spec.Taints = [new V1Taint { Key = ProxyHealthTracker.ToBeDeletedTaint, Effect = "NoSchedule" }];
        Assert.Equal(503, ProxyHealthServer.Respond("/healthz", health).Status);
        Assert.False(ProxyHealthTracker.IsEligible(new V1Node { Metadata = new V1ObjectMeta { Name = "n", DeletionTimestamp = Start } }));

        var missing = ProxyHealthServer.Respond("/metrics", health);
        Assert.Equal((404, "404 page not found\n"), (missing.Status, missing.Body));
        Assert.Contains(new KeyValuePair<string, string>("Content-Type", "text/plain; charset=utf-8"), missing.Headers);
    }

    [Fact]
    public void HealthCheckInputsCountDistinctLocalReadyEndpointIpsOverAllPortsOfLoadBalancersWithLocalPolicy()
    {
        var tracker = new ProxyChangeTracker("node1");
        var lb = UpstreamGoldenTests.ClusterIPService("ns1", "lb", "10.96.0.20", "http", 80);
        lb.Spec.Type = "LoadBalancer";
        lb.Spec.ExternalTrafficPolicy = "Local";
        lb.Spec.HealthCheckNodePort = 32000;
        lb.Spec.Ports[0].NodePort = 30080;
        lb.Spec.Ports.Add(new V1ServicePort { Name = "https", Port = 443, Protocol = "TCP", NodePort = 30443 });
        var nodePortLocal = UpstreamGoldenTests.ClusterIPService("ns1", "np", "10.96.0.21", "http", 80);
        nodePortLocal.Spec.Type = "NodePort";
        nodePortLocal.Spec.ExternalTrafficPolicy = "Local";
        nodePortLocal.Spec.HealthCheckNodePort = 32001; // only LoadBalancers get a health check
        tracker.UpsertService(lb);
        tracker.UpsertService(nodePortLocal);

        var slice = UpstreamGoldenTests.Slice("ns1", "lb", "http", 8080, "10.244.0.2", "10.244.0.3", "10.244.1.2", "10.244.0.4");
        slice.Ports.Add(new Discoveryv1EndpointPort { Name = "https", Port = 8443, Protocol = "TCP" });
        slice.Endpoints[0].NodeName = "node1";
        slice.Endpoints[1].NodeName = "node1";
        slice.Endpoints[2].NodeName = "node2";
        slice.Endpoints[3].NodeName = "node1";
        slice.Endpoints[3].Conditions = new V1EndpointConditions { Ready = false, Serving = true, Terminating = true };
        tracker.UpsertEndpointSlice(slice);

        var (ports, local) = ServiceHealthServer.Inputs(tracker.Checkout());
        Assert.Equal(new Dictionary<string, int> { ["ns1/lb"] = 32000 }, ports);
        // Two local ready pods with two ports each: 2, not 4; the remote and the terminating ones do not count.
        Assert.Equal(new Dictionary<string, int> { ["ns1/lb"] = 2 }, local);
    }

    [Theory]
    [InlineData("0.0.0.0:10256", "0.0.0.0:10256")]
    [InlineData("127.0.0.1:9999", "127.0.0.1:9999")]
    [InlineData("[::]:10256", "[::]:10256")]
    [InlineData("", null)]
    public void TheHealthzBindAddressIsIpColonPortOrEmpty(string flag, string? expected) =>
        Assert.Equal(expected, new ProxySettings { HealthzBindAddress = flag }.ParseHealthzBindAddress()?.ToString());

    [Theory]
    [InlineData("10256")]
    [InlineData("0.0.0.0")]
    [InlineData("localhost:10256")]
    [InlineData("0.0.0.0:0")]
    public void ABadHealthzBindAddressIsRefusedNamingTheFlag(string flag)
    {
        var error = Assert.Throws<FormatException>(() => new ProxySettings { HealthzBindAddress = flag }.ParseHealthzBindAddress());
        Assert.Equal($"--healthz-bind-address: \"{flag}\" is not IP:port (such as 0.0.0.0:10256)", error.Message);
    }

    [Fact]
    public void A_health_check_port_that_cannot_be_opened_is_a_warning_on_the_service_naming_the_node()
    {
        var (service, message) = ProxyRole.FailedToStartServiceHealthcheck("node2", "shop/web", 32103, "cannot listen on 0.0.0.0:32103: Address already in use");
        Assert.Equal(("v1", "Service", "shop", "web"), (service.ApiVersion, service.Kind, service.Metadata.NamespaceProperty, service.Metadata.Name));
        Assert.Equal("node node2 failed to start healthcheck \"shop/web\" on port 32103: cannot listen on 0.0.0.0:32103: Address already in use", message);
    }

    [Fact]
    public async Task TheProxyHealthServerAnswersOverHttpOnLoopback()
    {
        var health = new ProxyHealthTracker(TimeSpan.FromSeconds(60));
        health.SetNode(new V1Node { Metadata = new V1ObjectMeta { Name = "node1" }, Spec = new V1NodeSpec() });
        health.Updated();
        await using var server = await ProxyHealthServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), health, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Endpoint.Port}") };

        using var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal("application/json", healthz.Content.Headers.ContentType?.ToString());
        Assert.Equal(["nosniff"], healthz.Headers.GetValues("X-Content-Type-Options"));
        Assert.True(healthz.Headers.Date.HasValue);
        Assert.StartsWith("{\"lastUpdated\":\"", await healthz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("\"nodeEligible\":true,\"healthy\":true", await healthz.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var livez = await http.GetAsync(new Uri("/livez", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, livez.StatusCode);
        using var other = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("404 page not found\n", await other.Content.ReadAsStringAsync());

        // A second server on the same port: the error names the address.
        var taken = await Assert.ThrowsAsync<IOException>(() => ProxyHealthServer.StartAsync(server.Endpoint, health, NullLoggerFactory.Instance));
        Assert.StartsWith($"cannot listen on 127.0.0.1:{server.Endpoint.Port}: ", taken.Message, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task ServiceHealthChecksOpenAnswerAndCloseAsServicesComeAndGoInsideANamespace()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "set", "lo", "up");
        var health = new ProxyHealthTracker(TimeSpan.FromSeconds(60));
        health.Updated();
        await using var server = new ServiceHealthServer([IPAddress.Any], health, NullLoggerFactory.Instance, e => ns.Namespace.Run(() => HealthHttpServer.Bind(e)));
        var failures = new List<(string Service, int Port, string Error)>();
        server.ListenFailed = (service, port, error) => failures.Add((service, port, error));
        using var http = InNamespace(ns);

        await server.SyncServicesAsync(new Dictionary<string, int> { ["default/web"] = 32100, ["other/db"] = 32101 });
        Assert.Equal(new Dictionary<string, int> { ["default/web"] = 32100, ["other/db"] = 32101 }, server.Ports);
        using (var none = await http.GetAsync(new Uri("http://127.0.0.1:32100/")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Equal(["0"], none.Headers.GetValues("X-Load-Balancing-Endpoint-Weight"));
            Assert.Equal(HealthResponse.Service("default", "web", 0, true).Body, await none.Content.ReadAsStringAsync());
        }

        server.SyncEndpoints(new Dictionary<string, int> { ["default/web"] = 2 });
        using (var two = await http.GetAsync(new Uri("http://127.0.0.1:32100/anything")))
        {
            Assert.Equal(HttpStatusCode.OK, two.StatusCode);
            Assert.Equal("application/json", two.Content.Headers.ContentType?.ToString());
            Assert.Equal(["2"], two.Headers.GetValues("X-Load-Balancing-Endpoint-Weight"));
            Assert.Equal(HealthResponse.Service("default", "web", 2, true).Body, await two.Content.ReadAsStringAsync());
        }

        using (var db = await http.GetAsync(new Uri("http://127.0.0.1:32101/")))
        {
            Assert.Contains("\"namespace\": \"other\",\n\t\t\"name\": \"db\"", await db.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // web's port moves, db goes: the old ports are closed.
        await server.SyncServicesAsync(new Dictionary<string, int> { ["default/web"] = 32102 });
        Assert.Equal(new Dictionary<string, int> { ["default/web"] = 32102 }, server.Ports);
        foreach (var closed in new[] { 32100, 32101 })
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{closed}/")));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        }

        // A port already taken is logged and left out, and opened at a later sync once free.
        using var squatter = ns.Namespace.Run(() => new TcpListener(IPAddress.Any, 32103));
        squatter.Start();
        await server.SyncServicesAsync(new Dictionary<string, int> { ["default/web"] = 32102, ["default/late"] = 32103 });
        Assert.False(server.Ports.ContainsKey("default/late"));
        var failure = Assert.Single(failures);
        Assert.Equal(("default/late", 32103), (failure.Service, failure.Port));
        Assert.StartsWith("cannot listen on 0.0.0.0:32103: ", failure.Error, StringComparison.Ordinal);
        squatter.Stop();
        await server.SyncServicesAsync(new Dictionary<string, int> { ["default/web"] = 32102, ["default/late"] = 32103 });
        Assert.Equal(32103, server.Ports["default/late"]);
        using var late = await http.GetAsync(new Uri("http://127.0.0.1:32103/"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
    }

    /// <summary>An HttpClient whose connections are made inside the namespace.</summary>
    internal static HttpClient InNamespace(ScratchNamespace ns) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.Zero,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = ns.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(10) };
}
