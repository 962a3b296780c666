using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Ingress.Gateway;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// The Gateway controller against a real API server with the v1.3.0 CRDs installed by the real kubectl: it reads the
/// custom resources through the informers, writes the GatewayClass, Gateway and HTTPRoute statuses kubectl then shows
/// (with observedGeneration, addresses, listener conditions and attached routes), keeps another controller's parent
/// entry, and follows live changes (a ReferenceGrant deleted, a generation bumped).
/// </summary>
public sealed class GatewayControllerTests
{
    private const string Objects = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: strata}
        spec: {controllerName: strata.dev/gateway-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: other}
        spec: {controllerName: example.com/other}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: backends}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: backends}
        spec: {ports: [{name: http, port: 8080, targetPort: 3000}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: backends, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 3000, protocol: TCP}]
        endpoints: [{addresses: [192.0.2.1], conditions: {ready: true}}]
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: from-default, namespace: backends}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
          to: [{group: "", kind: Service}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: default}
        spec:
          parentRefs: [{name: gw}, {name: theirs}]
          hostnames: [web.example.com]
          rules:
          - backendRefs: [{name: web, namespace: backends, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: theirs, namespace: default}
        spec:
          gatewayClassName: other
          listeners: [{name: http, port: 80, protocol: HTTP}]
        """;

    [KubectlFact]
    public async Task Writes_the_statuses_kubectl_shows_and_follows_changes()
    {
        await using var api = await TestApiServer.StartAsync();
        api.KubectlOk("apply", "-f", Path.Combine(Repository.Root, "manifests", "gateway-api", "v1.3.0"));
        var port = FreePort();
        var (code, _, stderr) = api.KubectlStdin(Objects + $$$"""

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: default}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: {{{port}}}, protocol: HTTP}
              - {name: tcp, port: 9000, protocol: TCP}
            """, "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        using var client = RemoteKubeClient.FromKubeconfig(api.Host.KubeconfigPath);
        await using var server = new GatewayServer(IPAddress.Loopback, GatewayServer.CreateForwarder(), NullLoggerFactory.Instance);
        await using var controller = GatewayController.Start(client, GatewayConfigBuilder.DefaultControllerName, ["192.0.2.10"], GatewayController.PublishTo(server), NullLoggerFactory.Instance);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await controller.WaitForFirstSyncAsync(cancel.Token);

        // (The API server's table printer does not evaluate the CRDs' [*] and [?()] column paths, so jsonpath it is.)
        const string Summary = "jsonpath={.status.addresses[*].value} {.status.conditions[?(@.type==\"Programmed\")].status}";
        Assert.Equal("192.0.2.10 True", await EventuallyAsync(() => api.KubectlOk("get", "gateway", "gw", "-o", Summary), t => t.Length > 1, cancel.Token));
        Assert.Equal(" Unknown", api.KubectlOk("get", "gateway", "theirs", "-o", Summary)); // the CRD's default status: not ours to touch
        const string Accepted = "jsonpath={.status.conditions[?(@.type==\"Accepted\")].status}";
        Assert.Equal("True", await EventuallyAsync(() => api.KubectlOk("get", "gatewayclass", "strata", "-o", Accepted), t => t.Length > 0, cancel.Token));
        Assert.Equal("Unknown", api.KubectlOk("get", "gatewayclass", "other", "-o", Accepted));

        var gateway = JsonDocument.Parse(api.KubectlOk("get", "gateway", "gw", "-o", "json")).RootElement.GetProperty("status");
        Assert.Equal("Accepted=True/ListenersNotValid Programmed=True/Programmed", Conditions(gateway));
        var listeners = gateway.GetProperty("listeners");
        Assert.Equal("http", listeners[0].GetProperty("name").GetString());
        Assert.Equal(1, listeners[0].GetProperty("attachedRoutes").GetInt32());
        Assert.Equal("HTTPRoute", listeners[0].GetProperty("supportedKinds")[0].GetProperty("kind").GetString());
        Assert.Equal("Accepted=True/Accepted Programmed=True/Programmed ResolvedRefs=True/ResolvedRefs Conflicted=False/NoConflicts", Conditions(listeners[0]));
        Assert.Equal("Accepted=False/UnsupportedProtocol Programmed=False/Invalid ResolvedRefs=True/ResolvedRefs Conflicted=False/NoConflicts", Conditions(listeners[1]));
        Assert.Equal(1, gateway.GetProperty("conditions")[0].GetProperty("observedGeneration").GetInt64());

        var route = await EventuallyAsync(() => api.KubectlOk("get", "httproute", "web", "-o", "json"), t => t.Contains("strata.dev/gateway-controller", StringComparison.Ordinal), cancel.Token);
        var parents = JsonDocument.Parse(route).RootElement.GetProperty("status").GetProperty("parents");
        Assert.Equal(1, parents.GetArrayLength()); // the parentRef to the other class's Gateway is not ours to report
        Assert.Equal("gw", parents[0].GetProperty("parentRef").GetProperty("name").GetString());
        Assert.Equal("Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs", Conditions(parents[0]));
        Assert.Contains("Prefix / -> backends/web:8080 w=1 [192.0.2.1:3000]", GatewayConfigText.Render(controller.Current).Replace("PathPrefix", "Prefix", StringComparison.Ordinal), StringComparison.Ordinal);

        // The data plane listens on the Gateway's port: an unknown host is the proxy's 404.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/") { Headers = { Host = "other.example.com" } };
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(request)).StatusCode);

        // Another controller's parent entry is kept when ours changes.
        var withTheirs = JsonDocument.Parse(route).RootElement.GetProperty("status").GetProperty("parents")[0].GetRawText();
        var theirs = withTheirs.Replace("strata.dev/gateway-controller", "example.com/other", StringComparison.Ordinal).Replace("\"gw\"", "\"theirs\"", StringComparison.Ordinal);
        var patch = "{\"status\":{\"parents\":[" + withTheirs + "," + theirs + "]}}";
        api.KubectlOk("patch", "httproute", "web", "--subresource=status", "--type=merge", "-p", patch);

        api.KubectlOk("delete", "referencegrant", "from-default", "-n", "backends");
        var denied = await EventuallyAsync(() => api.KubectlOk("get", "httproute", "web", "-o", "json"), t => t.Contains("RefNotPermitted", StringComparison.Ordinal), cancel.Token);
        parents = JsonDocument.Parse(denied).RootElement.GetProperty("status").GetProperty("parents");
        Assert.Equal(["example.com/other", "strata.dev/gateway-controller"], parents.EnumerateArray().Select(p => p.GetProperty("controllerName").GetString()).Order());
        var ours = parents.EnumerateArray().Single(p => p.GetProperty("controllerName").GetString() == "strata.dev/gateway-controller");
        Assert.Equal("Accepted=True/Accepted ResolvedRefs=False/RefNotPermitted", Conditions(ours));

        // A spec change bumps the generation, and the conditions observe it.
        api.KubectlOk("patch", "gateway", "gw", "--type=json", "-p", """[{"op":"remove","path":"/spec/listeners/1"}]""");
        var bumped = await EventuallyAsync(() => api.KubectlOk("get", "gateway", "gw", "-o", "jsonpath={.status.conditions[0].observedGeneration} {.status.conditions[0].reason}"), t => t.StartsWith('2'), cancel.Token);
        Assert.Equal("2 Accepted", bumped);

        // Without the Gateway, our parent entry goes and the other controller's stays.
        api.KubectlOk("delete", "gateway", "gw");
        Assert.Equal("example.com/other", await EventuallyAsync(() => api.KubectlOk("get", "httproute", "web", "-o", "jsonpath={.status.parents[*].controllerName}"),
            t => !t.Contains("strata.dev", StringComparison.Ordinal), cancel.Token));
    }

    private static string Conditions(JsonElement status) =>
        string.Join(' ', status.GetProperty("conditions").EnumerateArray().Select(c => $"{c.GetProperty("type").GetString()}={c.GetProperty("status").GetString()}/{c.GetProperty("reason").GetString()}"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = read();
            if (done(value))
            {
                return value;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"still not there after the timeout; last value:\n{value}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }
}
