namespace Strata.Lab.Tests;

/// <summary>
/// ingress-controller-conformance scenarios in a lab, through the ingress-nginx addon's NodePort Service (kube-proxy's
/// NodePort to the hostNetwork controller): the features' Ingresses applied as written (path_rules' exact, prefix and
/// mixed hosts; host_rules' wildcard; default_backend; ingress_class; load_balancing over 3 replicas), agnhost
/// serve-hostname pods standing in for the echoserver (a reply is the pod name, which starts with its Service's name).
/// The in-process tests (tests/Strata.Ingress.Tests/Conformance) play all 25 scenarios; this checks the same rules
/// hold in a cluster.
/// </summary>
public sealed class LabIngressConformanceTests
{
    /// <summary>The features' backends: an agnhost serve-hostname Deployment and its Service on port 8080 each.</summary>
    private static readonly (string Name, int Replicas)[] Backends =
        [("foo-exact", 1), ("foo-prefix", 1), ("aaa-prefix", 1), ("aaa-slash-bbb-prefix", 1), ("wildcard-foo-com", 1), ("echo-service", 3)];

    private static string Backend(string name, int replicas, string node) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{{name}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              nodeName: {{{node}}}
              containers: [{name: echo, image: "registry.k8s.io/e2e-test-images/agnhost:2.52", args: [serve-hostname], ports: [{containerPort: 9376, name: http}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: {{{name}}}}
        spec:
          selector: {app: {{{name}}}}
          ports: [{name: http, port: 8080, targetPort: 9376}]
        ---

        """;

    private const string Ingresses = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: path-rules}
        spec:
          rules:
          - host: exact-path-rules
            http:
              paths: [{path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 8080}}}}]
          - host: prefix-path-rules
            http:
              paths:
              - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: 8080}}}}
              - {path: /aaa/bbb, pathType: Prefix, backend: {service: {name: aaa-slash-bbb-prefix, port: {number: 8080}}}}
              - {path: /aaa, pathType: Prefix, backend: {service: {name: aaa-prefix, port: {number: 8080}}}}
          - host: mixed-path-rules
            http:
              paths:
              - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: 8080}}}}
              - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: 8080}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: host-rules}
        spec:
          rules:
          - host: "*.foo.com"
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: wildcard-foo-com, port: {number: 8080}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: default-backend}
        spec:
          defaultBackend: {service: {name: echo-service, port: {number: 8080}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: test-ingress-class}
        spec:
          ingressClassName: some-invalid-class-name
          rules:
          - host: ingress-class
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: foo-exact, port: {number: 8080}}}}]
        """;

    [LabFact]
    public async Task ConformanceScenariosThroughTheNodePort()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        lab.Kubectl("-n", "ingress-nginx", "rollout", "status", "deployment/ingress-nginx-controller", "--timeout=90s");
        string node = lab.Kubectl("-n", "ingress-nginx", "get", "pods", "-o", "jsonpath={.items[0].spec.nodeName}");
        string address = lab.Kubectl("-n", "ingress-nginx", "get", "pods", "-o", "jsonpath={.items[0].status.hostIP}");
        string nodePort = lab.Kubectl("-n", "ingress-nginx", "get", "service", "ingress-nginx-controller", "-o", "jsonpath={.spec.ports[?(@.name==\"http\")].nodePort}");
        string client = node == "node1" ? "node2" : "node1";

        // The backends run on the controller's node, so that this checks the rules and not the path between nodes
        // (LabFlannelTests covers that).
        string manifest = Path.Combine(lab.StateDirectory, "conformance.yaml");
        File.WriteAllText(manifest, string.Concat(Backends.Select(b => Backend(b.Name, b.Replicas, node))) + Ingresses);
        lab.Kubectl("apply", "-f", manifest);
        foreach (var (name, _) in Backends)
        {
            lab.Kubectl("rollout", "status", $"deployment/{name}", "--timeout=90s");
        }

        // "The Ingress status shows the IP address or FQDN where it is exposed": the controller Service's load balancer
        // address (--publish-service).
        string published = "";
        await TestLab.EventuallyAsync(() => (published = lab.Kubectl("-n", "ingress-nginx", "get", "service", "ingress-nginx-controller", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}")).Length > 0,
            "the controller Service's load balancer address");
        foreach (var ingress in new[] { "path-rules", "host-rules", "default-backend" })
        {
            await TestLab.EventuallyAsync(() => lab.Kubectl("get", "ingress", ingress, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}") == published, $"the status address of {ingress}");
        }

        string url = $"http://{address}:{nodePort}";
        await TestLab.EventuallyAsync(() => Get(lab, client, "exact-path-rules", url + "/foo").StartsWith("200 foo-exact-", StringComparison.Ordinal), "exact /foo to serve");
        var expectations = new (string Host, string Path, string Expected)[]
        {
            ("exact-path-rules", "/foo/", "404 "),
            ("exact-path-rules", "/FOO", "404 "),
            ("exact-path-rules", "/bar", "404 "),
            ("prefix-path-rules", "/foo/", "200 foo-prefix-"),
            ("prefix-path-rules", "/FOO", "404 "),
            ("prefix-path-rules", "/aaa/bbb/ccc", "200 aaa-slash-bbb-prefix-"),
            ("prefix-path-rules", "/aaa/ccc", "200 aaa-prefix-"),
            ("prefix-path-rules", "/aaaccc", "404 "),
            ("mixed-path-rules", "/foo", "200 foo-exact-"),
            ("bar.foo.com", "/", "200 wildcard-foo-com-"),
            ("baz.bar.foo.com", "/", "200 echo-service-"),
            ("some-host", "/resource", "200 echo-service-"),
            ("ingress-class", "/", "200 echo-service-"),
        };
        foreach (var (host, path, expected) in expectations)
        {
            var reply = Get(lab, client, host, url + path);
            Assert.True(reply.StartsWith(expected, StringComparison.Ordinal), $"{host}{path}: expected {expected}..., got {reply}");
        }

        // ingress_class: an unknown class is not ours, no status (its host above fell through to the default backend).
        Assert.Equal("", lab.Kubectl("get", "ingress", "test-ingress-class", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"));

        // load_balancing: every replica answers.
        var pods = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            var reply = Get(lab, client, "load-balancing", url + "/");
            Assert.StartsWith("200 echo-service-", reply, StringComparison.Ordinal);
            pods.Add(reply);
        }

        Assert.Equal(3, pods.Count);
    }

    /// <summary>curl from a node: "STATUS BODY" (serve-hostname's body is the pod name).</summary>
    private static string Get(TestLab lab, string node, string host, string url)
    {
        var (_, stdout, _) = lab.Exec(node, "curl", "-sS", "--max-time", "5", "-H", $"Host: {host}", "-w", "\n%{http_code}", url);
        int last = stdout.LastIndexOf('\n');
        return last < 0 ? stdout : $"{stdout[(last + 1)..]} {stdout[..last].Trim()}";
    }
}
