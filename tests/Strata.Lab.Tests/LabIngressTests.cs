namespace Strata.Lab.Tests;

/// <summary>
/// The ingress-nginx addon in a lab: the controller Deployment runs strata ingress on a node's network; the seed's
/// fanout, rewrite-target and TLS examples are served to curl from the other node; a bad annotation is an Event.
/// </summary>
public sealed class LabIngressTests
{
    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              nodeName: NODE
              containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 80}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: simple-fanout-example}
        spec:
          rules:
          - host: foo.bar.com
            http:
              paths:
              - {path: /foo, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
              - {path: /bar, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: rewrite
          annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2}
        spec:
          ingressClassName: nginx
          rules:
          - host: rewrite.bar.com
            http:
              paths: [{path: /something(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: bad-annotation
          annotations: {nginx.ingress.kubernetes.io/proxy-body-size: "ten megabytes"}
        spec:
          rules:
          - host: bad.bar.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
        """;

    [LabFact]
    public async Task TheAddonServesTheSeedsIngressesFromANode()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        lab.Kubectl("-n", "ingress-nginx", "rollout", "status", "deployment/ingress-nginx-controller", "--timeout=90s");
        string node = lab.Kubectl("-n", "ingress-nginx", "get", "pods", "-o", "jsonpath={.items[0].spec.nodeName}");
        string address = lab.Kubectl("-n", "ingress-nginx", "get", "pods", "-o", "jsonpath={.items[0].status.podIP}");
        string client = node == "node1" ? "node2" : "node1";

        // The backend runs on the controller's node: pod traffic between nodes needs flannel (issue #8).
        string manifest = Path.Combine(lab.StateDirectory, "ingress.yaml");
        File.WriteAllText(manifest, Workloads.Replace("NODE", node, StringComparison.Ordinal));
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/web", "--timeout=90s");
        string tls = Path.Combine(lab.StateDirectory, "tls");
        Tool.Check("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls + ".key", "-out", tls + ".crt", "-days", "1",
            "-subj", "/CN=secure.bar.com", "-addext", "subjectAltName=DNS:secure.bar.com");
        lab.Kubectl("create", "secret", "tls", "secure-tls", $"--cert={tls}.crt", $"--key={tls}.key");
        lab.Kubectl("create", "ingress", "secure", "--rule=secure.bar.com/*=web:80,tls=secure-tls");

        // The status shows the controller Service's load balancer address (--publish-service), from the lab's pool.
        string published = "";
        await TestLab.EventuallyAsync(() => (published = lab.Kubectl("-n", "ingress-nginx", "get", "service", "ingress-nginx-controller", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}")).Length > 0,
            "the controller Service's load balancer address");
        Assert.StartsWith("172.19.15.2", published, StringComparison.Ordinal);
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "ingress", "simple-fanout-example", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}") == published,
            "the fanout Ingress's status address");
        await TestLab.EventuallyAsync(() => Curl(lab, client, "-H", "Host: rewrite.bar.com", $"http://{address}/something/").StartsWith("200 ", StringComparison.Ordinal),
            "the rewrite Ingress to serve");
        Assert.Contains("Welcome to nginx!", Curl(lab, client, "-H", "Host: rewrite.bar.com", $"http://{address}/something/"), StringComparison.Ordinal);
        // /foo reaches the nginx pod, which has no /foo: its own 404 page carries its version.
        Assert.Contains("<hr><center>nginx/", Curl(lab, client, "-H", "Host: foo.bar.com", $"http://{address}/foo"), StringComparison.Ordinal);
        Assert.StartsWith("503 ", Curl(lab, client, "-H", "Host: foo.bar.com", $"http://{address}/bar"), StringComparison.Ordinal);
        Assert.StartsWith("404 ", Curl(lab, client, "-H", "Host: bad.bar.com", $"http://{address}/"), StringComparison.Ordinal);
        await TestLab.EventuallyAsync(() => Curl(lab, client, "-H", "Host: secure.bar.com", $"http://{address}/").StartsWith("308 ", StringComparison.Ordinal),
            "the TLS host to redirect");
        var https = lab.Exec(client, "curl", "-sS", "-v", "--cacert", tls + ".crt", "--resolve", $"secure.bar.com:443:{address}", "https://secure.bar.com/");
        Assert.True(https.ExitCode == 0, https.Stderr);
        Assert.Contains("subject: CN=secure.bar.com", https.Stderr, StringComparison.Ordinal);
        Assert.Contains("Welcome to nginx!", https.Stdout, StringComparison.Ordinal);

        Assert.Contains("annotation nginx.ingress.kubernetes.io/proxy-body-size: value \"ten megabytes\" is invalid",
            lab.Kubectl("get", "events", "--field-selector", "involvedObject.name=bad-annotation", "-o", "jsonpath={.items[*].message}"), StringComparison.Ordinal);
    }

    /// <summary>curl from a node: "STATUS " then the body.</summary>
    private static string Curl(TestLab lab, string node, params string[] args)
    {
        var (_, stdout, _) = lab.Exec(node, ["curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", .. args]);
        int last = stdout.LastIndexOf('\n');
        return last < 0 ? stdout : $"{stdout[(last + 1)..]} {stdout[..last]}";
    }
}
