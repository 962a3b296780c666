using System.Globalization;
using System.Text;

namespace Strata.Lab.Tests;

/// <summary>
/// LoadBalancer Services in a lab of two nodes, reached from the underlay (which is no node), as a client on the LAN
/// reaches a MetalLB layer 2 address: the service-lb-ipam controller gives each Service an address from the lab's pool,
/// one node's lb-speaker makes its kernel answer ARP for it, and kube-proxy's KUBE-EXT rules DNAT it to the pods.
/// Covers the ingress controller's own LoadBalancer Service, externalTrafficPolicy Local, withdrawal on delete, and an
/// exhausted pool.
/// </summary>
public sealed class LabLoadBalancerTests
{
    private const string Agnhost = "registry.k8s.io/e2e-test-images/agnhost:2.53";
    private const string PoolFirst = "172.19.15.200";
    private const int PoolSize = 51; // 172.19.15.200-172.19.15.250

    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: lbweb}
        spec:
          replicas: 2
          selector: {matchLabels: {app: lbweb}}
          template:
            metadata: {labels: {app: lbweb}}
            spec:
              containers: [{name: agnhost, image: "AGNHOST", args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lbweb}
        spec:
          type: LoadBalancer
          selector: {app: lbweb}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: local-web, labels: {app: local-web}}
        spec:
          nodeName: node2
          containers: [{name: agnhost, image: "AGNHOST", args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lblocal}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Local
          selector: {app: local-web}
          ports: [{port: 8000, targetPort: 8080}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: through-lb}
        spec:
          ingressClassName: nginx
          rules:
          - host: lb.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: lbweb, port: {number: 80}}}}]
        """;

    [LabFact]
    public async Task ServicesGetPoolAddressesThatOneNodeAnnouncesAndTheUnderlayReaches()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        Assert.Contains($"LoadBalancer pool {PoolFirst}-172.19.15.250", stderr, StringComparison.Ordinal);
        lab.Kubectl("-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout=90s");
        lab.Kubectl("-n", "metallb-system", "rollout", "status", "daemonset/speaker", "--timeout=90s");
        lab.Kubectl("-n", "ingress-nginx", "rollout", "status", "deployment/ingress-nginx-controller", "--timeout=90s");
        string manifest = Path.Combine(lab.StateDirectory, "lb-workloads.yaml");
        File.WriteAllText(manifest, Workloads.Replace("AGNHOST", Agnhost, StringComparison.Ordinal));
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/lbweb", "--timeout=120s");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/local-web", "--timeout=120s");
        var webPods = lab.Kubectl("get", "pods", "-l", "app=lbweb", "-o", "jsonpath={.items[*].metadata.name}").Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // Addresses from the pool, with ipMode VIP, shown by kubectl as EXTERNAL-IP.
        string web = await ExternalIpAsync(lab, "default", "lbweb");
        string local = await ExternalIpAsync(lab, "default", "lblocal");
        string ingress = await ExternalIpAsync(lab, "ingress-nginx", "ingress-nginx-controller");
        Assert.All(new[] { web, local, ingress }, ip => Assert.StartsWith("172.19.15.2", ip, StringComparison.Ordinal));
        Assert.Equal(3, new[] { web, local, ingress }.Distinct().Count());
        Assert.Equal("VIP", lab.Kubectl("get", "service", "lbweb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ipMode}"));
        var table = lab.Kubectl("get", "svc", "-A");
        Assert.Matches($@"default\s+lbweb\s+LoadBalancer\s+[0-9.]+\s+{Escape(web)}\s+80:3\d{{4}}/TCP", table);
        Assert.Matches($@"ingress-nginx\s+ingress-nginx-controller\s+LoadBalancer\s+[0-9.]+\s+{Escape(ingress)}\s+80:\d+/TCP,443:\d+/TCP", table);

        // From the underlay: exactly one node answers ARP for the address, and the request reaches a pod.
        await TestLab.EventuallyAsync(() => Curl(lab, $"http://{web}/hostname").ExitCode == 0, $"the underlay to reach {web}");
        Assert.Contains(Curl(lab, $"http://{web}/hostname").Stdout.Trim(), webPods);
        string webOwner = Assert.Single(Announcers(lab, web));
        Assert.Equal(Mac(lab, webOwner), UnderlayNeighbourMac(lab, web));
        Assert.Contains($"announcing from node \"{webOwner}\" with protocol \"layer2\"",
            lab.Kubectl("get", "events", "--field-selector", "involvedObject.name=lbweb", "-o", "jsonpath={.items[*].message}"), StringComparison.Ordinal);

        // externalTrafficPolicy Local: announced by node2, where the only endpoint runs, which sees the client's address.
        await TestLab.EventuallyAsync(() => Curl(lab, $"http://{local}:8000/clientip").ExitCode == 0, $"the underlay to reach {local}");
        Assert.Equal(["node2"], Announcers(lab, local));
        Assert.StartsWith(lab.UnderlayAddress() + ":", Curl(lab, $"http://{local}:8000/clientip").Stdout.Trim(), StringComparison.Ordinal);

        // Through the ingress controller's own load balancer address: an Ingress rule answers, and its status shows it.
        await TestLab.EventuallyAsync(() => Curl(lab, $"http://{ingress}/hostname", "-H", "Host: lb.example.com").Stdout.Trim() is var h && webPods.Contains(h),
            $"the Ingress to answer on {ingress}");
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "ingress", "through-lb", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}") == ingress, "the Ingress status");

        // Deleting the Service withdraws the announcement (proxy entry and route gone) and frees the address.
        lab.Kubectl("delete", "service", "lbweb");
        await TestLab.EventuallyAsync(() => Announcers(lab, web).Count == 0 && !lab.ExecOk(webOwner, "ip", "route", "show", "dev", "strata-lb0").Contains(web, StringComparison.Ordinal),
            $"{webOwner} to withdraw {web}");
        Assert.NotEqual(0, Curl(lab, $"http://{web}/hostname").ExitCode);

        // Exhaustion: fill the pool, then one more stays pending with a Warning naming the pool; a freed address ends it.
        int used = 2; // lblocal and the ingress controller
        var fillers = new StringBuilder();
        for (int i = 0; i < PoolSize - used; i++)
        {
            fillers.Append(CultureInfo.InvariantCulture, $"apiVersion: v1\nkind: Service\nmetadata: {{name: fill-{i}}}\nspec: {{type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{{port: 80}}]}}\n---\n");
        }

        fillers.Append("apiVersion: v1\nkind: Service\nmetadata: {name: overflow}\nspec: {type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}\n");
        string fill = Path.Combine(lab.StateDirectory, "lb-fill.yaml");
        File.WriteAllText(fill, fillers.ToString());
        lab.Kubectl("apply", "-f", fill);
        await TestLab.EventuallyAsync(() => lab.Kubectl("get", "events", "--field-selector", "involvedObject.name=overflow", "-o", "jsonpath={.items[*].message}")
            .Contains("Failed to allocate IP for \"default/overflow\": no available IPs in pool 172.19.15.200-172.19.15.250 (51 of 51 in use)", StringComparison.Ordinal),
            "the AllocationFailed event");
        Assert.Contains(web, lab.Kubectl("get", "services", "-o", "jsonpath={.items[*].status.loadBalancer.ingress[*].ip}"), StringComparison.Ordinal);
        Assert.Matches(@"overflow\s+LoadBalancer\s+[0-9.]+\s+<pending>", lab.Kubectl("get", "service", "overflow"));
        string freed = lab.Kubectl("get", "service", "fill-7", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}");
        lab.Kubectl("delete", "service", "fill-7");
        Assert.Equal(freed, await ExternalIpAsync(lab, "default", "overflow"));
    }

    private static string Escape(string ip) => ip.Replace(".", "\\.", StringComparison.Ordinal);

    private static async Task<string> ExternalIpAsync(TestLab lab, string ns, string service)
    {
        string ip = "";
        await TestLab.EventuallyAsync(() => (ip = lab.Kubectl("-n", ns, "get", "service", service, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")).Length > 0,
            $"{ns}/{service} to get an address");
        return ip;
    }

    /// <summary>The nodes with a proxy ARP entry for <paramref name="ip"/>.</summary>
    private static List<string> Announcers(TestLab lab, string ip) =>
        [.. new[] { "node1", "node2" }.Where(n => lab.ExecOk(n, "ip", "neigh", "show", "proxy").Split('\n').Any(l => l.StartsWith(ip + " ", StringComparison.Ordinal)))];

    private static string Mac(TestLab lab, string node)
    {
        var fields = lab.ExecOk(node, "ip", "-o", "link", "show", "eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields[Array.IndexOf(fields, "link/ether") + 1];
    }

    private static string UnderlayNeighbourMac(TestLab lab, string ip)
    {
        var fields = lab.ExecOk("underlay", "ip", "neigh", "show", ip).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int at = Array.IndexOf(fields, "lladdr");
        return at < 0 ? "" : fields[at + 1];
    }

    private static (int ExitCode, string Stdout, string Stderr) Curl(TestLab lab, string url, params string[] extra) =>
        lab.Exec("underlay", ["curl", "-sS", "--max-time", "3", .. extra, url]);
}
