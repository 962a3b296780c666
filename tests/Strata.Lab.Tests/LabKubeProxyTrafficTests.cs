using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Strata.Lab.Tests;

/// <summary>
/// The kube-proxy addon with real traffic in one lab of two nodes: load spread over three endpoints, ClientIP affinity,
/// externalTrafficPolicy: Local (the client's IP kept, the health check node port 200 only where an endpoint runs), a
/// Service without endpoints refused at once, the seed's iptables commands for its nginx-service, and a scale-down
/// under load that never sends a request to a deleted pod.
/// </summary>
public sealed class LabKubeProxyTrafficTests
{
    private const string Agnhost = "registry.k8s.io/e2e-test-images/agnhost:2.53";

    /// <summary>
    /// The web pods keep serving this long after SIGTERM (netexec --delay-shutdown), as a graceful backend does: the window
    /// in which the EndpointSlice controller marks them terminating and the proxy stops choosing them.
    /// </summary>
    private const int DelayShutdownSeconds = 10;

    // The seed's nginx Deployment and Service (its kube-proxy section), then agnhost backends for the traffic checks.
    private const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: nginx-deployment, labels: {app: nginx}}
        spec:
          replicas: 3
          selector: {matchLabels: {app: nginx}}
          template:
            metadata: {labels: {app: nginx}}
            spec:
              containers: [{name: nginx, image: "nginx:latest", ports: [{containerPort: 80}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nginx-service, labels: {app: nginx}}
        spec:
          type: ClusterIP
          selector: {app: nginx}
          ports: [{protocol: TCP, port: 80, targetPort: 80}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: agnhost, image: "AGNHOST", args: [netexec, --http-port=8080, --delay-shutdown=DELAY], ports: [{containerPort: 8080}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: sticky}
        spec:
          selector: {app: web}
          sessionAffinity: ClientIP
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: local-web, labels: {app: local-web}}
        spec:
          nodeName: node1
          containers: [{name: agnhost, image: "AGNHOST", args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: local}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Local
          healthCheckNodePort: 32123  # requested: the lab's API server does not allocate one yet
          selector: {app: local-web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nothing}
        spec:
          selector: {app: no-such-pod}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          nodeName: node2
          containers: [{name: c, image: busybox, command: [sleep, infinity]}]
        """;

    [LabFact]
    public async Task ServicesSpreadStickKeepTheClientIpAndRefuseWithRealTraffic()
    {
        using var lab = new TestLab();
        var (code, _, stderr) = await lab.UpAsync(nodes: 2);
        Assert.True(code == 0, $"strata up exited {code}: {stderr}");
        lab.Kubectl("-n", "kube-system", "rollout", "status", "daemonset/kube-proxy", "--timeout=90s");
        string manifest = Path.Combine(lab.StateDirectory, "proxy-workloads.yaml");
        File.WriteAllText(manifest, Workloads.Replace("AGNHOST", Agnhost, StringComparison.Ordinal)
            .Replace("DELAY", DelayShutdownSeconds.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        lab.Kubectl("apply", "-f", manifest);
        lab.Kubectl("rollout", "status", "deployment/web", "--timeout=120s");
        lab.Kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=120s");
        lab.Kubectl("wait", "--for=condition=Ready", "pod/local-web", "pod/client", "--timeout=120s");
        var webPods = PodNames(lab, "app=web");
        Assert.Equal(3, webPods.Count);
        string web = ClusterIP(lab, "web");

        // kube-proxy's own /healthz on every node.
        foreach (var node in new[] { "node1", "node2" })
        {
            await TestLab.EventuallyAsync(() => lab.Exec(node, "curl", "-s", "http://127.0.0.1:10256/healthz").Stdout.Contains("\"nodeEligible\":true,\"healthy\":true", StringComparison.Ordinal), $"{node}'s /healthz");
        }

        // Load spread: 300 requests from a pod. Each endpoint's count is Binomial(300, 1/3): mean 100, standard deviation
        // 8.2, so fewer than 50 (6 deviations below) happens with probability ~1e-9 unless the split is wrong.
        await TestLab.EventuallyAsync(() => Curl(lab, $"http://{web}/hostname").ExitCode == 0, "the web Service to answer");
        var spread = Loop(lab, 300, $"http://{web}/hostname");
        Assert.Equal(300, spread.Count);
        var counts = spread.GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(webPods.Order(StringComparer.Ordinal), counts.Keys.Order(StringComparer.Ordinal));
        Assert.All(counts, c => Assert.True(c.Value >= 50, $"{c.Key} got {c.Value} of 300: {string.Join(", ", counts)}"));

        // ClientIP affinity: every request from the client pod lands on one endpoint (a spread split 3 ways would hit
        // all of them in 60 requests with probability 1 - 3·(2/3)^60).
        string sticky = ClusterIP(lab, "sticky");
        await TestLab.EventuallyAsync(() => Curl(lab, $"http://{sticky}/hostname").ExitCode == 0, "the sticky Service to answer");
        var stuck = Loop(lab, 60, $"http://{sticky}/hostname");
        Assert.Equal(60, stuck.Count);
        Assert.Single(stuck.Distinct());
        Assert.Contains(stuck[0], webPods);

        // externalTrafficPolicy: Local from the underlay (not a node): node1 runs the only endpoint and answers with the
        // client's own address (no SNAT); its health check node port says 200 with one local endpoint, node2's says 503.
        string node1 = NodeIP(lab, "node1");
        string node2 = NodeIP(lab, "node2");
        string nodePort = lab.Kubectl("get", "service", "local", "-o", "jsonpath={.spec.ports[0].nodePort}");
        string healthPort = lab.Kubectl("get", "service", "local", "-o", "jsonpath={.spec.healthCheckNodePort}");
        Assert.Equal("32123", healthPort);
        string underlay = lab.UnderlayAddress();
        await TestLab.EventuallyAsync(() => lab.Exec("underlay", "curl", "-s", "--max-time", "3", $"http://{node1}:{nodePort}/clientip").ExitCode == 0, "the Local NodePort on node1");
        var clientIp = lab.ExecOk("underlay", "curl", "-s", "--max-time", "3", $"http://{node1}:{nodePort}/clientip").Trim();
        Assert.StartsWith(underlay + ":", clientIp, StringComparison.Ordinal);

        await TestLab.EventuallyAsync(() => HealthCheck(lab, node1, healthPort).Status == "200", "node1's health check node port to say 200");
        var (status1, body1) = HealthCheck(lab, node1, healthPort);
        Assert.Equal("200", status1);
        Assert.Equal("{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"local\"\n\t},\n\t\"localEndpoints\": 1,\n\t\"serviceProxyHealthy\": true\n}", body1);
        var (status2, body2) = HealthCheck(lab, node2, healthPort);
        Assert.Equal("503", status2);
        Assert.Contains("\"localEndpoints\": 0,", body2, StringComparison.Ordinal);

        // A Service without endpoints: REJECTed, so the client pod's connect is refused at once rather than timing out.
        string nothing = ClusterIP(lab, "nothing");
        var watch = Stopwatch.StartNew();
        var refused = Curl(lab, $"http://{nothing}/", "--connect-timeout", "10", "-v");
        watch.Stop();
        Assert.Equal(7, refused.ExitCode); // curl: couldn't connect
        Assert.Contains($"connect to {nothing} port 80 failed: Connection refused", refused.Stderr, StringComparison.Ordinal); // ECONNREFUSED, -v names the errno
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"refused only after {watch.Elapsed} (a timeout, not a REJECT?)");

        SeedCommandsShowTheSeedsStructure(lab);

        await ScaleDownNeverSendsTrafficToADeletedPodAsync(lab, web, webPods);
    }

    /// <summary>
    /// The client pod requests the web Service in a loop while web scales from 3 to 1. The Deployment controller deletes
    /// two pods: the EndpointSlice controller marks them ready=false, terminating=true at once, and the proxy, which falls
    /// back to serving-terminating endpoints only when a Service has no ready one, drops them from KUBE-SVC-* at its next
    /// sync, while their netexec still serves for <see cref="DelayShutdownSeconds"/> after SIGTERM (the kubelet honours the
    /// 30 s terminationGracePeriodSeconds). So no request may fail: a failure would mean a request was sent to a pod that no
    /// longer answers. Once the kubelet has deleted both pod objects, every answer comes from the remaining pod.
    /// </summary>
    private static async Task ScaleDownNeverSendsTrafficToADeletedPodAsync(TestLab lab, string web, List<string> webPods)
    {
        // One line per request: epoch milliseconds, curl's exit code, the answering pod's hostname.
        const int LoopSeconds = 45;
        string script = $"end=$(($(date +%s)+{LoopSeconds.ToString(CultureInfo.InvariantCulture)})); while [ $(date +%s) -lt $end ]; do "
            + $"t=$(date +%s%3N); h=$(curl -s --max-time 2 http://{web}/hostname); echo \"$t $? $h\"; done";
        var loop = RunAsync("kubectl", ["--kubeconfig", lab.Kubeconfig, "exec", "client", "--", "sh", "-c", script], TimeSpan.FromSeconds(LoopSeconds + 60));

        await Task.Delay(TimeSpan.FromSeconds(5));
        long scaledAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lab.Kubectl("scale", "deployment/web", "--replicas=1");
        await TestLab.EventuallyAsync(() => PodNames(lab, "app=web").Count == 1, "the two scaled-down web pods to be deleted");
        long goneAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string survivor = Assert.Single(PodNames(lab, "app=web"));
        Assert.Contains(survivor, webPods);
        var deleted = webPods.Where(p => p != survivor).ToHashSet(StringComparer.Ordinal);

        var (code, stdout, stderr) = await loop;
        Assert.True(code == 0, $"the request loop exited {code}: {stderr}");
        var requests = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 3, StringSplitOptions.TrimEntries))
            .Select(f => (At: long.Parse(f[0], CultureInfo.InvariantCulture), Exit: int.Parse(f[1], CultureInfo.InvariantCulture), Pod: f.Length > 2 ? f[2] : ""))
            .ToList();
        string Timeline() => string.Join("; ", requests.Select(r => $"{r.At - scaledAt:+0;-0} ms exit {r.Exit} {r.Pod}"));

        var failed = requests.Where(r => r.Exit != 0 || r.Pod.Length == 0).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {requests.Count} requests failed during the scale-down (ms after the scale): {Timeline()}");
        Assert.Equal(webPods.Order(StringComparer.Ordinal), requests.Where(r => r.At < scaledAt).Select(r => r.Pod).Distinct().Order(StringComparer.Ordinal));
        var afterGone = requests.Where(r => r.At > goneAt).ToList();
        Assert.True(afterGone.Count >= 20, $"only {afterGone.Count} requests after the pods were gone: {Timeline()}");
        Assert.All(afterGone, r => Assert.Equal(survivor, r.Pod));

        // The proxy stopped choosing the terminating pods while they still served: their last answer came before their
        // delayed shutdown, let alone their deletion.
        var lastToDeleted = requests.Where(r => deleted.Contains(r.Pod)).Select(r => r.At).DefaultIfEmpty(scaledAt).Max();
        Assert.True(lastToDeleted < scaledAt + DelayShutdownSeconds * 1000, $"a terminating pod answered {lastToDeleted - scaledAt} ms after the scale: {Timeline()}");

        var settled = Loop(lab, 30, $"http://{web}/hostname");
        Assert.Equal(30, settled.Count);
        Assert.All(settled, pod => Assert.Equal(survivor, pod));
    }

    /// <summary>The seed's `iptables -t nat -nvL KUBE-SERVICES` and `-nvL KUBE-SVC-V2OKYYMBY3REGZOG` in a node.</summary>
    private static void SeedCommandsShowTheSeedsStructure(TestLab lab)
    {
        string clusterIp = ClusterIP(lab, "nginx-service");
        var podIps = JsonDocument.Parse(lab.Kubectl("get", "pods", "-l", "app=nginx", "-o", "json")).RootElement.GetProperty("items")
            .EnumerateArray().Select(p => p.GetProperty("status").GetProperty("podIP").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, podIps.Count);

        // The chain name is the seed's: the hash of "default/nginx-service" and "tcp" is cluster-independent.
        var services = Lines(lab.ExecOk("node1", "iptables", "-t", "nat", "-nvL", "KUBE-SERVICES"));
        var line = Assert.Single(services, l => l.Contains("/* default/nginx-service cluster IP */", StringComparison.Ordinal));
        Assert.Equal(["KUBE-SVC-V2OKYYMBY3REGZOG", "tcp", "--", "*", "*", "0.0.0.0/0", clusterIp], Columns(line));
        Assert.EndsWith("tcp dpt:80", line, StringComparison.Ordinal);
        Assert.Contains("KUBE-NODEPORTS", services[^1], StringComparison.Ordinal);

        var svc = Lines(lab.ExecOk("node1", "iptables", "-t", "nat", "-nvL", "KUBE-SVC-V2OKYYMBY3REGZOG"));
        Assert.StartsWith("Chain KUBE-SVC-V2OKYYMBY3REGZOG (1 references)", svc[0], StringComparison.Ordinal);
        var rules = svc.Skip(2).ToList();
        Assert.Equal(4, rules.Count);
        Assert.Equal(["KUBE-MARK-MASQ", "tcp", "--", "*", "*", "!10.233.64.0/18", clusterIp], Columns(rules[0]));
        Assert.Contains("/* default/nginx-service cluster IP */", rules[0], StringComparison.Ordinal);
        string[] probabilities = ["statistic mode random probability 0.33333333349", "statistic mode random probability 0.50000000000", ""];
        for (int i = 0; i < 3; i++)
        {
            var fields = Fields(rules[i + 1]);
            Assert.StartsWith("KUBE-SEP-", fields[2], StringComparison.Ordinal);
            Assert.Contains($"/* default/nginx-service -> {podIps[i]}:80 */", rules[i + 1], StringComparison.Ordinal);
            Assert.True(rules[i + 1].TrimEnd().EndsWith($"{podIps[i]}:80 */ {probabilities[i]}".TrimEnd(), StringComparison.Ordinal), rules[i + 1]);

            // Each endpoint chain: the hairpin mark, then the DNAT to the pod, as the seed's KUBE-SEP-2H4DDHMGXF2HFD2H.
            var sep = Lines(lab.ExecOk("node1", "iptables", "-t", "nat", "-nvL", fields[2])).Skip(2).ToList();
            Assert.Equal(["KUBE-MARK-MASQ", "all", "--", "*", "*", podIps[i], "0.0.0.0/0"], Columns(sep[0]));
            Assert.Equal(["DNAT", "tcp", "--", "*", "*", "0.0.0.0/0", "0.0.0.0/0"], Columns(sep[1]));
            Assert.Contains("/* default/nginx-service */", sep[1], StringComparison.Ordinal);
            Assert.EndsWith($"to:{podIps[i]}:80", sep[1], StringComparison.Ordinal);
        }

        Assert.Contains("MARK or 0x4000", lab.ExecOk("node1", "iptables", "-t", "nat", "-nvL", "KUBE-MARK-MASQ"), StringComparison.Ordinal);
        Assert.Contains("/* kubernetes service traffic requiring SNAT */ random-fully", lab.ExecOk("node1", "iptables", "-t", "nat", "-nvL", "KUBE-POSTROUTING"), StringComparison.Ordinal);
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd())];

    private static string[] Fields(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// target, prot, opt, in, out, source, destination of an <c>-nvL</c> rule line, the protocol by name: the nf_tables
    /// iptables (1.8.9) prints its number (6, 0) where the seed's legacy one printed tcp, all.
    /// </summary>
    private static string[] Columns(string line)
    {
        var columns = Fields(line)[2..9];
        columns[1] = columns[1] switch { "6" => "tcp", "17" => "udp", "0" => "all", var p => p };
        return columns;
    }

    private static string ClusterIP(TestLab lab, string service) => lab.Kubectl("get", "service", service, "-o", "jsonpath={.spec.clusterIP}");

    private static string NodeIP(TestLab lab, string node) =>
        lab.Kubectl("get", "node", node, "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}");

    private static List<string> PodNames(TestLab lab, string selector) =>
        [.. lab.Kubectl("get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}").Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    private static (string Status, string Body) HealthCheck(TestLab lab, string nodeIp, string port)
    {
        var (_, stdout, _) = lab.Exec("underlay", "curl", "-s", "--max-time", "3", "-w", "\n%{http_code}", $"http://{nodeIp}:{port}/");
        int split = stdout.LastIndexOf('\n');
        return split < 0 ? ("", stdout) : (stdout[(split + 1)..].Trim(), stdout[..split]);
    }

    /// <summary>curl from the client pod (on node2), through kubectl exec.</summary>
    private static (int ExitCode, string Stdout, string Stderr) Curl(TestLab lab, string url, params string[] extra) =>
        Tool.Run("kubectl", ["--kubeconfig", lab.Kubeconfig, "exec", "client", "--", "curl", "-sS", "--max-time", "5", .. extra, url]);

    /// <summary>n requests from the client pod in one exec, one answer per line.</summary>
    private static List<string> Loop(TestLab lab, int n, string url)
    {
        string script = $"for i in $(seq {n.ToString(CultureInfo.InvariantCulture)}); do curl -s --max-time 5 {url}; echo; done";
        return [.. lab.Kubectl("exec", "client", "--", "sh", "-c", script).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())];
    }

    /// <summary>A command that outlasts <see cref="Tool.Run"/>'s 30 s limit, killed (and failing the test) after <paramref name="timeout"/>.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
