using System.Text.Json;

namespace Strata.Lab.Tests;

/// <summary>
/// The cluster DNS addon in a lab, asked the way pods ask it: through the kube-dns Service at 10.233.0.3 (kube-proxy's
/// rules to the coredns pods, which run `strata dns`), from a busybox pod with the real dig and nslookup and its own
/// resolv.conf (search path, ndots:5). One lab for every case: a lab costs a minute.
/// </summary>
public sealed class LabDnsTests
{
    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: kubia}
        spec:
          replicas: 2
          selector: {matchLabels: {app: kubia}}
          template:
            metadata: {labels: {app: kubia}}
            spec:
              containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: http}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kubia}
        spec:
          selector: {app: kubia}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nginx-service}
        spec:
          selector: {app: kubia}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kubia-headless}
        spec:
          clusterIP: None
          selector: {app: kubia}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec:
          type: ExternalName
          externalName: nginx-service.default.svc.cluster.local
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: flip}
        spec:
          selector: {app: kubia}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: unready-published}
        spec:
          clusterIP: None
          publishNotReadyAddresses: true
          selector: {app: unready}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: unready-hidden}
        spec:
          clusterIP: None
          selector: {app: unready}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: unready, labels: {app: unready}}
        spec:
          containers:
          - name: c
            image: busybox
            command: [sleep, infinity]
            readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: querier, labels: {app: kubia}}
        spec:
          hostname: querier
          subdomain: kubia-headless
          containers: [{name: c, image: busybox, command: [sleep, infinity]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          containers: [{name: c, image: busybox, command: [sleep, infinity]}]
        """;

    [LabFact]
    public async Task PodsResolveClusterNamesThroughTheKubeDnsService()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        Assert.Equal("10.233.0.3", lab.Kubectl("get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}"));

        string manifest = Path.Combine(lab.StateDirectory, "dns-workloads.yaml");
        File.WriteAllText(manifest, Workloads);
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/kubia", "--timeout=90s");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/querier", "pod/client", "--timeout=90s");
        lab.Kubectl("rollout", "status", "deployment/coredns", "-n", "kube-system", "--timeout=90s");
        Assert.Equal("nameserver 10.233.0.3\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            lab.Kubectl("exec", "client", "--", "cat", "/etc/resolv.conf"));

        string Dig(params string[] args) => lab.Kubectl(["exec", "client", "--", "dig", "+time=2", "+tries=2", .. args]);
        string Short(params string[] args) => Dig(["+short", .. args]).Trim();
        List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
        void Eventually(string what, Func<bool> done, int seconds = 30)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
            while (!done())
            {
                Assert.True(DateTime.UtcNow < deadline, $"{what} within {seconds} s");
                Thread.Sleep(200);
            }
        }

        // Until a coredns pod has synced (SERVFAIL) or the Service's rules are in, dig fails: keep asking.
        Eventually("the kube-dns Service answers dns-version.cluster.local", () =>
            lab.Kubectl("exec", "client", "--", "sh", "-c", "dig +time=1 +tries=1 +short TXT dns-version.cluster.local || true").Trim() == "\"1.1.0\"", 90);

        var kubiaIp = lab.Kubectl("get", "service", "kubia", "-o", "jsonpath={.spec.clusterIP}");
        var nginxIp = lab.Kubectl("get", "service", "nginx-service", "-o", "jsonpath={.spec.clusterIP}");
        var querierIp = lab.Kubectl("get", "pod", "querier", "-o", "jsonpath={.status.podIP}");
        var unreadyIp = lab.Kubectl("get", "pod", "unready", "-o", "jsonpath={.status.podIP}");
        var kubiaPods = PodIps(lab, "default", "app=kubia").Select(p => p.Ip).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, kubiaPods.Count); // the Deployment's two and querier
        var dashed = kubiaPods.Where(ip => ip != querierIp).Select(ip => ip.Replace('.', '-')).ToList();

        // The hostname of querier reaches the EndpointSlice through the endpoint controller: wait for it once.
        Eventually("querier.kubia-headless.default.svc.cluster.local answers the pod's IP", () => Short("querier.kubia-headless.default.svc.cluster.local") == querierIp);

        foreach (var transport in (string[])["+notcp", "+tcp"])
        {
            string T(string text) => $"{transport}: {text}";
            // A for a ClusterIP Service, and the pod's search path with a partly qualified name.
            Assert.True(kubiaIp == Short(transport, "kubia.default.svc.cluster.local"), T("A kubia"));
            Assert.True(kubiaIp == Short(transport, "+search", "kubia.default"), T("A kubia.default through the search path"));
            // SRV on a named port: the Service itself as target.
            Assert.True($"0 100 80 kubia.default.svc.cluster.local." == Short(transport, "SRV", "_http._tcp.kubia.default.svc.cluster.local"), T("SRV kubia"));
            // Headless: an A per ready endpoint, SRV across endpoints with their hostnames or dashed IPs.
            Assert.True(kubiaPods.SequenceEqual(Lines(Short(transport, "kubia-headless.default.svc.cluster.local"))), T("A kubia-headless"));
            var srv = Lines(Short(transport, "SRV", "_http._tcp.kubia-headless.default.svc.cluster.local"));
            var expectedSrv = dashed.Select(d => $"0 33 80 {d}.kubia-headless.default.svc.cluster.local.")
                .Append("0 33 80 querier.kubia-headless.default.svc.cluster.local.").Order(StringComparer.Ordinal).ToList();
            Assert.True(expectedSrv.SequenceEqual(srv), T($"SRV kubia-headless: {string.Join(" | ", srv)}"));
            Assert.True(querierIp == Short(transport, "querier.kubia-headless.default.svc.cluster.local"), T("hostname.subdomain"));
            Assert.True(kubiaPods.First(ip => ip != querierIp) == Short(transport, $"{dashed[0]}.kubia-headless.default.svc.cluster.local"), T("dashed endpoint name"));
            // PTR for ClusterIPs.
            Assert.True("kubia.default.svc.cluster.local." == Short(transport, "-x", kubiaIp), T("PTR kubia"));
            // ExternalName: the CNAME, and for A the target inside the zone resolved after it.
            Assert.True("nginx-service.default.svc.cluster.local." == Short(transport, "CNAME", "ext.default.svc.cluster.local"), T("CNAME ext"));
            Assert.True(new[] { "nginx-service.default.svc.cluster.local.", nginxIp }.SequenceEqual(Short(transport, "ext.default.svc.cluster.local").Split('\n')), T("A ext"));
            // The zone: dns-version, NXDOMAIN and NODATA with the SOA in the authority section.
            Assert.True("\"1.1.0\"" == Short(transport, "TXT", "dns-version.cluster.local"), T("TXT dns-version"));
            var nxdomain = Dig(transport, "nosuch.default.svc.cluster.local");
            Assert.True(nxdomain.Contains("status: NXDOMAIN", StringComparison.Ordinal) && nxdomain.Contains("ANSWER: 0, AUTHORITY: 1", StringComparison.Ordinal), T(nxdomain));
            Assert.Matches(@"cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30", nxdomain);
            var nodata = Dig(transport, "AAAA", "kubia.default.svc.cluster.local");
            Assert.True(nodata.Contains("status: NOERROR", StringComparison.Ordinal) && nodata.Contains("ANSWER: 0, AUTHORITY: 1", StringComparison.Ordinal), T(nodata));
            Assert.Contains("IN\tSOA\tns.dns.cluster.local.", nodata);
            // Pods: a-b-c-d.ns.pod.zone.
            Assert.True(querierIp == Short(transport, querierIp.Replace('.', '-') + ".default.pod.cluster.local"), T("pod A"));
            // publishNotReadyAddresses: the unready pod is published by one headless Service and hidden by the other.
            Assert.True(unreadyIp == Short(transport, "unready-published.default.svc.cluster.local"), T("publishNotReadyAddresses"));
            Assert.Contains("status: NXDOMAIN", Dig(transport, "unready-hidden.default.svc.cluster.local"));
        }

        // The coredns pods reach the API as in-cluster clients: no kubeconfig, the service account's token volume, the
        // kubernetes Service (client-go's InClusterConfig); answering cluster names above proves they synced that way.
        var coredns = JsonDocument.Parse(lab.Kubectl("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "json")).RootElement.GetProperty("items")[0].GetProperty("spec");
        Assert.Equal("coredns", coredns.GetProperty("serviceAccountName").GetString());
        Assert.DoesNotContain(coredns.GetProperty("containers")[0].GetProperty("args").EnumerateArray(), a => a.GetString()!.StartsWith("--kubeconfig", StringComparison.Ordinal));
        Assert.Contains(coredns.GetProperty("volumes").EnumerateArray(), v => v.GetProperty("name").GetString()!.StartsWith("kube-api-access-", StringComparison.Ordinal));
        Assert.Contains(coredns.GetProperty("containers")[0].GetProperty("volumeMounts").EnumerateArray(),
            m => m.GetProperty("mountPath").GetString() == "/var/run/secrets/kubernetes.io/serviceaccount");
        Assert.Contains("default", lab.Kubectl("exec", "client", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/namespace"));

        // Both coredns replicas answer behind the Service (each on its own pod IP too).
        foreach (var (node, ip) in PodIps(lab, "kube-system", "k8s-app=kube-dns"))
        {
            Assert.Equal(kubiaIp, lab.ExecOk(node, "dig", $"@{ip}", "+time=2", "+tries=2", "+short", "kubia.default.svc.cluster.local").Trim());
        }

        // nslookup with a short name through the search path, and the seed's own queries.
        var nslookup = lab.Kubectl("exec", "client", "--", "nslookup", "nginx-service");
        Assert.Contains("Server:\t\t10.233.0.3\nAddress:\t10.233.0.3#53", nslookup);
        Assert.Contains($"Name:\tnginx-service.default.svc.cluster.local\nAddress: {nginxIp}", nslookup);
        Assert.Contains($"Name:\tkubia.default.svc.cluster.local\nAddress: {kubiaIp}", lab.Kubectl("exec", "client", "--", "nslookup", "kubia.default"));
        Assert.Contains($"name = kubia.default.svc.cluster.local.", lab.Kubectl("exec", "client", "--", "nslookup", kubiaIp));
        var headless = lab.Kubectl("exec", "client", "--", "nslookup", "kubia-headless.default");
        foreach (var ip in kubiaPods)
        {
            Assert.Contains($"Name:\tkubia-headless.default.svc.cluster.local\nAddress: {ip}", headless);
        }

        var podIp = kubiaPods.First(ip => ip != querierIp);
        var reverse = lab.Kubectl("exec", "client", "--", "nslookup", podIp);
        var arpa = string.Join('.', podIp.Split('.').Reverse()) + ".in-addr.arpa";
        Assert.Contains($"{arpa}\tname = {podIp.Replace('.', '-')}.kubia-headless.default.svc.cluster.local.", reverse);
        Assert.Contains($"{arpa}\tname = {podIp.Replace('.', '-')}.kubia.default.svc.cluster.local.", reverse);

        // Answers follow the cluster: a scaled Deployment's new endpoint, and a Service flipped to ExternalName and back.
        lab.Kubectl("scale", "deployment/kubia", "--replicas=3");
        Eventually("the headless Service answers a fourth address after scaling to 3", () =>
            Lines(Short("kubia-headless.default.svc.cluster.local")).Count == 4 &&
            Lines(Short("kubia-headless.default.svc.cluster.local")).SequenceEqual(PodIps(lab, "default", "app=kubia").Select(p => p.Ip).Order(StringComparer.Ordinal)));
        var flipIp = lab.Kubectl("get", "service", "flip", "-o", "jsonpath={.spec.clusterIP}");
        Assert.Equal(flipIp, Short("flip.default.svc.cluster.local"));
        lab.Kubectl("patch", "service", "flip", "--type=merge", "-p",
            """{"spec":{"type":"ExternalName","externalName":"kubia.default.svc.cluster.local","clusterIP":null,"clusterIPs":null,"ipFamilies":null,"ipFamilyPolicy":null,"selector":null,"ports":null}}""");
        Eventually("flip answers its CNAME after becoming ExternalName", () => Short("CNAME", "flip.default.svc.cluster.local") == "kubia.default.svc.cluster.local.");
        Assert.Equal(new[] { "kubia.default.svc.cluster.local.", kubiaIp }, Short("flip.default.svc.cluster.local").Split('\n'));
        lab.Kubectl("patch", "service", "flip", "--type=merge", "-p",
            """{"spec":{"type":"ClusterIP","externalName":null,"selector":{"app":"kubia"},"ports":[{"name":"http","port":80}]}}""");
        var newIp = lab.Kubectl("get", "service", "flip", "-o", "jsonpath={.spec.clusterIP}");
        Eventually("flip answers its new ClusterIP after becoming ClusterIP again", () => Short("flip.default.svc.cluster.local") == newIp);
        Assert.Equal("", Short("CNAME", "flip.default.svc.cluster.local"));
    }

    private static List<(string Node, string Ip)> PodIps(TestLab lab, string ns, string selector) =>
        [.. JsonDocument.Parse(lab.Kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "json")).RootElement.GetProperty("items").EnumerateArray()
            .Where(p => p.GetProperty("status").TryGetProperty("podIP", out _))
            .Select(p => (p.GetProperty("spec").GetProperty("nodeName").GetString()!, p.GetProperty("status").GetProperty("podIP").GetString()!))];
}
