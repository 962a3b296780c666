using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Ingress.Configuration;
using Strata.Ingress.Controller;
using Strata.Ingress.Proxy;
using Strata.Ingress.Routing;
using Strata.Ingress.Tls;

namespace Strata.Ingress.Tests.Controller;

/// <summary>
/// The controller against a real API server, with objects applied by the real kubectl: the route table is what the
/// cluster says (endpoints from EndpointSlices, which the API server refuses on loopback, so they are only looked at here;
/// ProxyTests forwards to real backends), an invalid annotation is a Warning Event naming the Ingress and the annotation while the rest keeps
/// serving, status.loadBalancer gets the address, and a change (new endpoints, a deleted Ingress) takes effect live.
/// </summary>
public sealed class IngressControllerTests
{
    private const string Manifest = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: other}
        spec: {controller: example.com/other}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: good, namespace: default}
        spec:
          rules:
          - host: good.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: bad
          namespace: default
          annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: "soon"}
        spec:
          rules:
          - host: bad.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: theirs, namespace: default}
        spec:
          ingressClassName: other
          rules:
          - host: theirs.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
        """;

    [KubectlFact]
    public async Task ServesTheClusterReportsBadAnnotationsAndFillsInStatus()
    {
        await using var api = await TestApiServer.StartAsync();
        using var fake = FakeCertificate.Create();
        var (code, _, stderr) = api.KubectlStdin(Manifest, "apply", "-f", "-");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = api.KubectlStdin(Slice(8080), "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        using var client = RemoteKubeClient.FromKubeconfig(api.Host.KubeconfigPath);
        await using var server = await IngressServer.StartAsync(new IngressListenOptions(IPAddress.Loopback, 0, 0), fake, NullLoggerFactory.Instance);
        await using var controller = IngressController.Start(client, new IngressClassIdentity(), fake, server.Proxy.Update, ["192.0.2.10"], NullLoggerFactory.Instance);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await controller.WaitForFirstSyncAsync(cancel.Token);

        using var http = new HttpClient();
        var table = await EventuallyAsync(() => RouteTableText.Render(controller.Current), t => t.Contains("192.0.2.1", StringComparison.Ordinal), cancel.Token);
        Assert.Equal("""
            server good.example.com
              Prefix / -> default/web:http [192.0.2.1:8080] (default/good)
            admitted: default/good
            problem InvalidAnnotation: Ingress default/bad: annotation nginx.ingress.kubernetes.io/proxy-read-timeout: value "soon" is invalid: expected a non-negative integer; the Ingress is not served

            """, table);
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(http, server, "bad.example.com"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(http, server, "theirs.example.com"));

        var events = await EventuallyAsync(() => api.KubectlOk("get", "events", "-n", "default", "--field-selector", "involvedObject.name=bad", "-o", "json"),
            json => json.Contains("InvalidAnnotation", StringComparison.Ordinal), cancel.Token);
        var item = JsonDocument.Parse(events).RootElement.GetProperty("items")[0];
        Assert.Equal("Warning", item.GetProperty("type").GetString());
        Assert.Equal("Ingress", item.GetProperty("involvedObject").GetProperty("kind").GetString());
        Assert.Equal(
            "Ingress default/bad: annotation nginx.ingress.kubernetes.io/proxy-read-timeout: value \"soon\" is invalid: expected a non-negative integer; the Ingress is not served",
            item.GetProperty("message").GetString());

        var status = await EventuallyAsync(() => api.KubectlOk("get", "ingress", "good", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"),
            s => s.Length > 0, cancel.Token);
        Assert.Equal("192.0.2.10", status);
        Assert.Equal("", api.KubectlOk("get", "ingress", "theirs", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"));
        Assert.Equal("", api.KubectlOk("get", "ingress", "bad", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"));

        // Fixing the annotation brings the Ingress in; deleting the good one takes it out, without a restart.
        api.KubectlOk("annotate", "ingress", "bad", "--overwrite", "nginx.ingress.kubernetes.io/proxy-read-timeout=30");
        await EventuallyAsync(() => RouteTableText.Render(controller.Current), t => t.Contains("server bad.example.com", StringComparison.Ordinal), cancel.Token);
        Assert.Equal("192.0.2.10", await EventuallyAsync(() => api.KubectlOk("get", "ingress", "bad", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"), s => s.Length > 0, cancel.Token));
        api.KubectlOk("delete", "ingress", "good");
        await EventuallyAsync(() => RouteTableText.Render(controller.Current), t => !t.Contains("good.example.com", StringComparison.Ordinal), cancel.Token);

        // Endpoints going away give 503 (the backend is on the API server's side of the test: unreachable on purpose).
        api.KubectlOk("delete", "endpointslice", "web-1");
        await EventuallyAsync(() => StatusAsync(http, server, "bad.example.com"), s => s == HttpStatusCode.ServiceUnavailable, cancel.Token);
        Assert.Contains("[no ready endpoints]", RouteTableText.Render(controller.Current), StringComparison.Ordinal);
    }

    [KubectlFact]
    public async Task TheSeedsV1beta1IngressIsServedAsWritten()
    {
        await using var api = await TestApiServer.StartAsync();
        using var fake = FakeCertificate.Create();
        var (code, _, stderr) = api.KubectlStdin(Manifest.Split("\n---\n")[0] + "\n---\n" + Slice(8080) + """

            ---
            apiVersion: networking.k8s.io/v1beta1
            kind: Ingress
            metadata:
              name: rewrite
              namespace: default
              annotations:
                nginx.ingress.kubernetes.io/rewrite-target: /$2
            spec:
              rules:
              - host: rewrite.bar.com
                http:
                  paths:
                  - backend:
                      serviceName: web
                      servicePort: 80
                    path: /something(/|$)(.*)
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
            """, "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        using var client = RemoteKubeClient.FromKubeconfig(api.Host.KubeconfigPath);
        await using var controller = IngressController.Start(client, new IngressClassIdentity(), fake, _ => { }, ["192.0.2.10"], NullLoggerFactory.Instance);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var table = await EventuallyAsync(() => RouteTableText.Render(controller.Current), t => t.Contains("rewrite.bar.com", StringComparison.Ordinal), cancel.Token);
        Assert.Equal("""
            server rewrite.bar.com regex
              Regex /something(/|$)(.*) -> default/web:80 [192.0.2.1:8080] rewrite=/$2 (default/rewrite)
            admitted: default/rewrite

            """, table);
    }

    [KubectlFact]
    public async Task BadInputIsAWarningEventAndEveryOtherRouteKeepsServing()
    {
        await using var api = await TestApiServer.StartAsync();
        using var fake = FakeCertificate.Create();
        var (code, _, stderr) = api.KubectlStdin(Manifest.Split("\n---\n")[0] + "\n---\n" + Slice(8080) + """

            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: garbage, namespace: default}
            type: kubernetes.io/tls
            data: {tls.crt: bm90IGEgY2VydGlmaWNhdGU=, tls.key: bm90IGEga2V5}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: good, namespace: default}
            spec:
              rules:
              - host: good.example.com
                http:
                  paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: missing-secret, namespace: default}
            spec:
              tls: [{hosts: [missing.example.com], secretName: nosuch}]
              rules:
              - host: missing.example.com
                http:
                  paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: bad-certificate, namespace: default}
            spec:
              tls: [{hosts: [garbage.example.com], secretName: garbage}]
              rules:
              - host: garbage.example.com
                http:
                  paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: unknown-service, namespace: default}
            spec:
              rules:
              - host: unknown.example.com
                http:
                  paths: [{path: /, pathType: Prefix, backend: {service: {name: nosuch, port: {number: 80}}}}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: bad-regex
              namespace: default
              annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}
            spec:
              rules:
              - host: regex.example.com
                http:
                  paths: [{path: "/broken(", pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}]
            """, "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        // A rule the API server's validation refuses never reaches the controller: kubectl says why.
        (code, _, stderr) = api.KubectlStdin("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: relative-path, namespace: default}
            spec:
              rules:
              - host: relative.example.com
                http:
                  paths: [{path: relative, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
            """, "apply", "-f", "-");
        Assert.NotEqual(0, code);
        Assert.Contains("spec.rules[0].http.paths[0].path", stderr, StringComparison.Ordinal);

        using var client = RemoteKubeClient.FromKubeconfig(api.Host.KubeconfigPath);
        await using var server = await IngressServer.StartAsync(new IngressListenOptions(IPAddress.Loopback, 0, 0), fake, NullLoggerFactory.Instance);
        await using var controller = IngressController.Start(client, new IngressClassIdentity(), fake, server.Proxy.Update, ["192.0.2.10"], NullLoggerFactory.Instance);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await controller.WaitForFirstSyncAsync(cancel.Token);

        var expected = new Dictionary<string, string>
        {
            ["missing-secret"] = "InvalidCertificate: Ingress default/missing-secret: Secret default/nosuch not found; the default fake certificate is used instead",
            ["bad-certificate"] = "InvalidCertificate: Ingress default/bad-certificate: Secret default/garbage does not hold a usable certificate and key: ",
            ["unknown-service"] = "InvalidBackend: Ingress default/unknown-service: host unknown.example.com path /: service default/nosuch not found; its requests get 503",
            ["bad-regex"] = "InvalidPath: Ingress default/bad-regex: path \"/broken(\" of host regex.example.com is not a valid regular expression: ",
        };
        foreach (var (name, message) in expected)
        {
            var json = await EventuallyAsync(() => api.KubectlOk("get", "events", "-n", "default", "--field-selector", $"involvedObject.name={name}", "-o", "json"),
                j => JsonDocument.Parse(j).RootElement.GetProperty("items").GetArrayLength() > 0, cancel.Token);
            var item = JsonDocument.Parse(json).RootElement.GetProperty("items")[0];
            Assert.Equal("Warning", item.GetProperty("type").GetString());
            var actual = $"{item.GetProperty("reason").GetString()}: {item.GetProperty("message").GetString()}";
            Assert.True(actual.StartsWith(message, StringComparison.Ordinal), $"the Event of {name}: {actual}");
        }

        // Everything else is served: the good route has its endpoint, the TLS hosts fall back to the fake certificate,
        // the unknown Service answers 503 and the broken regex path is left out (404).
        var table = RouteTableText.Render(controller.Current);
        Assert.Contains("server good.example.com\n  Prefix / -> default/web:80 [192.0.2.1:8080] (default/good)\n", table, StringComparison.Ordinal);
        Assert.Contains("server missing.example.com tls=fake\n  Prefix / -> default/web:80 [192.0.2.1:8080] (default/missing-secret)\n", table, StringComparison.Ordinal);
        Assert.Contains("server garbage.example.com tls=fake\n  Prefix / -> default/web:80 [192.0.2.1:8080] (default/bad-certificate)\n", table, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(http, server, "unknown.example.com"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(http, server, "regex.example.com"));
        Assert.Equal("192.0.2.10", await EventuallyAsync(() => api.KubectlOk("get", "ingress", "good", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"), s => s.Length > 0, cancel.Token));

        // Creating the Service fixes the route live, and its problem is not reported again.
        api.KubectlOk("create", "service", "clusterip", "nosuch", "--tcp=80:8080");
        await EventuallyAsync(() => RouteTableText.Render(controller.Current), t => !t.Contains("InvalidBackend", StringComparison.Ordinal), cancel.Token);
    }

    private static string Slice(int port) => $$$"""
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: {{{port}}}, protocol: TCP}]
        endpoints: [{addresses: [192.0.2.1], conditions: {ready: true}}]
        """;

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, IngressServer server, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.HttpPort}/");
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [KubectlFact]
    public async Task PublishServiceWritesTheServicesLoadBalancerAddressAndFollowsIt()
    {
        await using var api = await TestApiServer.StartAsync();
        using var fake = FakeCertificate.Create();
        var (code, _, stderr) = api.KubectlStdin("""
            apiVersion: networking.k8s.io/v1
            kind: IngressClass
            metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
            spec: {controller: k8s.io/ingress-nginx}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: controller, namespace: default}
            spec: {type: LoadBalancer, ports: [{name: http, port: 80}]}
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: good, namespace: default}
            spec:
              rules:
              - host: good.example.com
                http:
                  paths: [{path: /, pathType: Prefix, backend: {service: {name: controller, port: {number: 80}}}}]
            """, "apply", "-f", "-");
        Assert.True(code == 0, stderr);

        using var client = RemoteKubeClient.FromKubeconfig(api.Host.KubeconfigPath);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var controller = IngressController.Start(client, new IngressClassIdentity(), fake, _ => { }, ["192.0.2.10"], NullLoggerFactory.Instance,
            publishService: "default/controller");
        await controller.WaitForFirstSyncAsync(cancel.Token);
        // Pending: no address yet, and not the node's either.
        Assert.Equal("", api.KubectlOk("get", "ingress", "good", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"));

        foreach (var address in new[] { "192.0.2.77", "192.0.2.78" })
        {
            var service = (await client.GetAsync<k8s.Models.V1Service>("default", "controller", cancel.Token))!;
            service.Status = new k8s.Models.V1ServiceStatus
            {
                LoadBalancer = new k8s.Models.V1LoadBalancerStatus { Ingress = [new k8s.Models.V1LoadBalancerIngress { Ip = address, IpMode = "VIP" }] },
            };
            await client.UpdateStatusAsync(service, cancel.Token);
            Assert.Equal(address, await EventuallyAsync(() => api.KubectlOk("get", "ingress", "good", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"), s => s == address, cancel.Token));
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done, CancellationToken cancellationToken) =>
        await EventuallyAsync(() => Task.FromResult(read()), done, cancellationToken);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
