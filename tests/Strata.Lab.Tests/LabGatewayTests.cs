namespace Strata.Lab.Tests;

/// <summary>
/// The Gateway API in a lab: <c>strata up</c> installs the v1.3.0 CRDs, the GatewayClass strata and the strata-gateway
/// Deployment (<c>strata ingress --gateway</c> in the pod network). A Gateway and HTTPRoutes applied with kubectl get
/// their statuses, and curl through the gateway pod's port 80 reaches agnhost pods by host and path, with the
/// route's rewrite, header modifier, redirect and weights, and HTTPS with a Secret's certificate; a missing Service is a
/// 500 and BackendNotFound.
/// </summary>
public sealed class LabGatewayTests
{
    private const string Objects = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: v1}
        spec:
          replicas: 1
          selector: {matchLabels: {app: v1}}
          template:
            metadata: {labels: {app: v1}}
            spec:
              nodeName: NODE
              containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080]}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: v2}
        spec:
          replicas: 1
          selector: {matchLabels: {app: v2}}
          template:
            metadata: {labels: {app: v2}}
            spec:
              nodeName: NODE
              containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: v1}
        spec: {selector: {app: v1}, ports: [{port: 80, targetPort: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: v2}
        spec: {selector: {app: v2}, ports: [{port: 80, targetPort: 8080}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: web}
        spec:
          gatewayClassName: strata
          listeners:
          - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
          - {name: https, port: 443, protocol: HTTPS, hostname: secure.example.com, tls: {certificateRefs: [{name: gateway-tls}]}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: app}
        spec:
          parentRefs: [{name: web}]
          hostnames: [app.example.com]
          rules:
          - matches: [{path: {type: PathPrefix, value: /v1}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
            backendRefs: [{name: v1, port: 80}]
          - matches: [{path: {type: Exact, value: /hdr}}]
            filters:
            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Gateway, value: strata}]}}
            - {type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /header}}}
            backendRefs: [{name: v2, port: 80}]
          - matches: [{path: {type: Exact, value: /split}}]
            filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /hostname}}}]
            backendRefs: [{name: v1, port: 80, weight: 1}, {name: v2, port: 80, weight: 1}]
          - matches: [{path: {type: Exact, value: /old}}]
            filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /v1/hostname}, statusCode: 301}}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: secure}
        spec:
          parentRefs: [{name: web}]
          hostnames: [secure.example.com]
          rules: [{backendRefs: [{name: v1, port: 80}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: broken}
        spec:
          parentRefs: [{name: web}]
          hostnames: [broken.example.com]
          rules: [{backendRefs: [{name: missing, port: 80}]}]
        """;

    [LabFact]
    public async Task AGatewayAndHttpRoutesAppliedWithKubectlServeThroughTheGatewayPod()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        Assert.Contains("strata.dev/gateway-controller", lab.Kubectl("get", "gatewayclass", "strata", "-o", "jsonpath={.spec.controllerName}"), StringComparison.Ordinal);
        lab.Kubectl("-n", "strata-gateway", "rollout", "status", "deployment/strata-gateway", "--timeout=90s");
        string node = lab.Kubectl("-n", "strata-gateway", "get", "pods", "-o", "jsonpath={.items[0].spec.nodeName}");
        string address = lab.Kubectl("-n", "strata-gateway", "get", "pods", "-o", "jsonpath={.items[0].status.podIP}");

        string tls = Path.Combine(lab.StateDirectory, "tls");
        Tool.Check("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls + ".key", "-out", tls + ".crt", "-days", "1",
            "-subj", "/CN=secure.example.com", "-addext", "subjectAltName=DNS:secure.example.com");
        lab.Kubectl("create", "secret", "tls", "gateway-tls", $"--cert={tls}.crt", $"--key={tls}.key");
        string manifest = Path.Combine(lab.StateDirectory, "gateway.yaml");
        File.WriteAllText(manifest, Objects.Replace("NODE", node, StringComparison.Ordinal));
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/v1", "--timeout=90s");
        lab.Kubectl("rollout", "status", "deployment/v2", "--timeout=90s");

        await EventuallyAsync(() => lab.Kubectl("get", "gatewayclass", "strata", "-o", "jsonpath={.status.conditions[?(@.type==\"Accepted\")].status}") == "True", "the GatewayClass to be accepted");
        await EventuallyAsync(() => lab.Kubectl("get", "gateway", "web", "-o", "jsonpath={.status.addresses[0].value} {.status.conditions[?(@.type==\"Programmed\")].status}") == $"{address} True",
            "the Gateway to be programmed with the pod's address");
        // secure.example.com is also under the HTTP listener's *.example.com; app and broken are not under the HTTPS one.
        // The routes were applied with the Gateway, so the status may first be written before the controller has seen them.
        await EventuallyAsync(() => lab.Kubectl("get", "gateway", "web", "-o", "jsonpath={.status.listeners[*].attachedRoutes}") == "3 1", "3 and 1 routes attached to the listeners");
        await EventuallyAsync(() => lab.Kubectl("get", "httproute", "app", "-o", "jsonpath={.status.parents[0].conditions[*].status}") == "True True", "the app route's status");
        await EventuallyAsync(() => lab.Kubectl("get", "httproute", "broken", "-o",
            "jsonpath={.status.parents[0].conditions[?(@.type==\"Accepted\")].status} {.status.parents[0].conditions[?(@.type==\"ResolvedRefs\")].reason}") == "True BackendNotFound",
            "the broken route's status");

        // curl from the gateway's node to the gateway pod's port 80 (the backends run on that node too).
        await EventuallyAsync(() => Curl(lab, node, "-H", "Host: app.example.com", $"http://{address}/v1/hostname").StartsWith("200 v1-", StringComparison.Ordinal),
            "the v1 route to serve");
        Assert.Equal("200 strata", Curl(lab, node, "-H", "Host: app.example.com", $"http://{address}/hdr?key=X-Gateway"));
        var seen = new HashSet<string>();
        for (int i = 0; i < 40 && seen.Count < 2; i++)
        {
            seen.Add(Curl(lab, node, "-H", "Host: app.example.com", $"http://{address}/split")[..7]);
        }

        Assert.Equal(["200 v1-", "200 v2-"], seen.Order());
        var redirect = lab.ExecOk(node, "curl", "-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: app.example.com", $"http://{address}/old");
        Assert.Equal("301 http://app.example.com/v1/hostname", redirect);
        Assert.StartsWith("404 ", Curl(lab, node, "-H", "Host: other.example.com", $"http://{address}/v1/hostname"), StringComparison.Ordinal);
        Assert.StartsWith("500 ", Curl(lab, node, "-H", "Host: broken.example.com", $"http://{address}/"), StringComparison.Ordinal);

        // The HTTPS listener terminates TLS with the Secret's certificate.
        var https = lab.Exec(node, "curl", "-sS", "-v", "--max-time", "5", "--cacert", tls + ".crt", "--resolve", $"secure.example.com:443:{address}", "https://secure.example.com/hostname");
        Assert.True(https.ExitCode == 0, https.Stderr);
        Assert.Contains("subject: CN=secure.example.com", https.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("v1-", https.Stdout, StringComparison.Ordinal);
    }

    /// <summary>curl from a node: "STATUS " then the body.</summary>
    private static string Curl(TestLab lab, string node, params string[] args)
    {
        var (_, stdout, _) = lab.Exec(node, ["curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", .. args]);
        int last = stdout.LastIndexOf('\n');
        return last < 0 ? stdout : $"{stdout[(last + 1)..]} {stdout[..last]}";
    }

    // The gateway pod starts after the lab's own pods, so its steps get longer than the usual 60 s.
    private static Task EventuallyAsync(Func<bool> condition, string what) => TestLab.EventuallyAsync(condition, what, TimeSpan.FromSeconds(90));
}
