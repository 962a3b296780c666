using System.Text.Json;

namespace Strata.Lab.Tests;

/// <summary>The cluster DNS addon in a lab: the coredns Deployment's pods (strata dns) answer on their pod IPs, with the real dig and nslookup.</summary>
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
        kind: Pod
        metadata: {name: querier, labels: {app: kubia}}
        spec:
          hostname: querier
          subdomain: kubia-headless
          containers: [{name: c, image: busybox, command: [sleep, infinity]}]
        """;

    [LabFact]
    public async Task TheCorednsPodsAnswerClusterNamesOnTheirPodIps()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        lab.Kubectl("rollout", "status", "deployment/coredns", "-n", "kube-system", "--timeout=90s");
        Assert.Equal("10.233.0.3", lab.Kubectl("get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}"));

        string manifest = Path.Combine(lab.StateDirectory, "dns-workloads.yaml");
        File.WriteAllText(manifest, Workloads);
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/kubia", "--timeout=90s");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/querier", "--timeout=90s");
        var querier = lab.Kubectl("get", "pod", "querier", "-o", "jsonpath={.status.podIP}");
        var kubia = PodIps(lab, "default", "app=kubia").Select(p => p.Ip).Order(StringComparer.Ordinal).ToList();
        var clusterIp = lab.Kubectl("get", "service", "nginx-service", "-o", "jsonpath={.spec.clusterIP}");

        var dnsPods = PodIps(lab, "kube-system", "k8s-app=kube-dns");
        Assert.Equal(2, dnsPods.Count);
        foreach (var (node, ip) in dnsPods)
        {
            string Dig(params string[] args) => lab.ExecOk(node, ["dig", $"@{ip}", "+time=2", "+tries=1", .. args]);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            // Until the pod listens, dig gets no answer (exit 9): keep asking.
            while (lab.Exec(node, "dig", $"@{ip}", "+time=2", "+tries=1", "+short", "TXT", "dns-version.cluster.local").Stdout.Trim() != "\"1.1.0\"")
            {
                Assert.True(DateTime.UtcNow < deadline, $"the coredns pod {ip} on {node} did not sync within 60 s");
                Thread.Sleep(250);
            }

            Assert.Equal(clusterIp, Dig("+short", "nginx-service.default.svc.cluster.local").Trim());
            Assert.Equal(clusterIp, Dig("+tcp", "+short", "nginx-service.default.svc.cluster.local").Trim());
            Assert.Equal(kubia, Dig("+short", "kubia-headless.default.svc.cluster.local").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Assert.Equal("nginx-service.default.svc.cluster.local.", Dig("+short", "-x", clusterIp).Trim());
            Assert.Equal("10.233.0.3", Dig("+short", "kube-dns.kube-system.svc.cluster.local").Trim());
            Assert.Contains("status: NXDOMAIN", Dig("nosuch.default.svc.cluster.local"));
            // hostname.subdomain of a pod whose subdomain is a headless Service (e2e dns.go's dns-querier names).
            var deadline2 = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Dig("+short", "querier.kubia-headless.default.svc.cluster.local").Trim() != querier)
            {
                Assert.True(DateTime.UtcNow < deadline2, "querier.kubia-headless.default.svc.cluster.local did not answer the pod's IP within 30 s");
                Thread.Sleep(250);
            }

            Assert.Equal(querier, Dig("+short", querier.Replace('.', '-') + ".default.pod.cluster.local").Trim());
        }

        // A pod's own resolv.conf (search default.svc.cluster.local …, ndots:5) with the short names of the seed.
        var (dnsNode, dnsIp) = dnsPods[0];
        lab.Kubectl("run", "client", "--image=busybox", $"--overrides={{\"spec\":{{\"nodeName\":\"{dnsNode}\"}}}}", "--", "sleep", "3600");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/client", "--timeout=90s");
        Assert.Contains("options ndots:5", lab.Kubectl("exec", "client", "--", "cat", "/etc/resolv.conf"));
        var nslookup = lab.Kubectl("exec", "client", "--", "nslookup", "nginx-service", dnsIp);
        Assert.Contains($"Name:\tnginx-service.default.svc.cluster.local\nAddress: {clusterIp}", nslookup);
        var headless = lab.Kubectl("exec", "client", "--", "nslookup", "kubia-headless", dnsIp);
        foreach (var ip in kubia)
        {
            Assert.Contains($"Name:\tkubia-headless.default.svc.cluster.local\nAddress: {ip}", headless);
        }
    }

    private static List<(string Node, string Ip)> PodIps(TestLab lab, string ns, string selector) =>
        [.. JsonDocument.Parse(lab.Kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "json")).RootElement.GetProperty("items").EnumerateArray()
            .Select(p => (p.GetProperty("spec").GetProperty("nodeName").GetString()!, p.GetProperty("status").GetProperty("podIP").GetString()!))];
}
