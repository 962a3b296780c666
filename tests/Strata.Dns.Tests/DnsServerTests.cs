using System.Diagnostics;
using System.Net;
using Strata.Controllers.Client;
using Strata.Dns.Serving;
using Strata.Dns.Tests.Support;

namespace Strata.Dns.Tests;

/// <summary>
/// <c>strata dns</c>'s service on a loopback port, fed by a real API server (objects applied with kubectl), asked
/// with the real <c>dig</c> and <c>nslookup</c>; BIND 9's <c>named</c> is the upstream for names outside the zone.
/// </summary>
public sealed class DnsServerTests : IAsyncLifetime
{
    private const string Cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: web}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: kube-system}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kube-dns, namespace: kube-system}
        spec:
          clusterIP: 10.233.0.3
          ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nginx-service, namespace: web}
        spec:
          clusterIP: 10.233.0.50
          ports: [{name: http, port: 80, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kubia-headless, namespace: web}
        spec:
          clusterIP: None
          ports: [{name: http, port: 8080, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: kubia-headless-abcde
          namespace: web
          labels: {kubernetes.io/service-name: kubia-headless}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: [10.233.64.3]
          conditions: {ready: true}
        - addresses: [10.233.65.4]
          conditions: {ready: true}
        - addresses: [10.233.66.5]
          conditions: {ready: false}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext, namespace: web}
        spec:
          type: ExternalName
          externalName: www.upstream.test
        """;

    // The upstream is authoritative for the root, so that any name it does not have is NXDOMAIN, as from a recursor.
    private const string UpstreamZone = """
        $TTL 300
        .                  IN SOA ns.upstream.test. hostmaster.upstream.test. 1 3600 600 86400 60
        .                  IN NS  ns.upstream.test.
        ns.upstream.test.  IN A   127.0.0.1
        www.upstream.test. IN A   192.0.2.10
        """;

    private TestApiServer _api = null!;
    private Named _named = null!;
    private DnsService _dns = null!;
    private RemoteKubeClient _client = null!;
    private string _scratch = null!;

    private string Port => _dns.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        // The server shares this process's thread pool with tests that block on dig and kubectl: enough threads that
        // its receive loops never wait for the pool to grow (that showed up as 1 s stalls on 2 cores).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        _scratch = Directory.CreateTempSubdirectory("strata-dns-test-").FullName;
        _api = await TestApiServer.StartAsync();
        _api.KubectlStdin(Cluster, "apply", "-f", "-");
        _named = await Named.StartAsync(".", UpstreamZone);
        _client = RemoteKubeClient.FromKubeconfig(_api.Host.KubeconfigPath);
        _dns = await DnsService.StartAsync(_client, new DnsServiceOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Flags = new Dictionary<string, string> { ["upstreams"] = _named.Endpoint.ToString() },
        });
        await _dns.WaitForSyncAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _dns.DisposeAsync();
        }
        finally
        {
            // Also when the server's disposal reports a failed loop: named is a separate process and must not outlive the test.
            _client.Dispose();
            _named.Dispose();
            await _api.DisposeAsync();
            Directory.Delete(_scratch, recursive: true);
        }
    }

    private string Dig(params string[] args) => Tool.Check("dig", ["@127.0.0.1", "-p", Port, "+time=2", "+tries=1", .. args]);

    private string[] Short(params string[] args) =>
        [.. Dig(["+short", .. args]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];

    private string Status(params string[] args)
    {
        var header = Dig(["+noall", "+comments", .. args]);
        var at = header.IndexOf("status: ", StringComparison.Ordinal);
        Assert.True(at >= 0, header);
        return header[(at + 8)..header.IndexOf(',', at)];
    }

    [Fact]
    public void ServiceRecordsAnswerAsTheSpecificationSays()
    {
        Assert.Equal(["10.233.0.50"], Short("nginx-service.web.svc.cluster.local", "A"));
        Assert.Equal(["10.233.0.50"], Short("+tcp", "NGINX-Service.Web.svc.cluster.local", "A"));
        Assert.Equal("NOERROR", Status("nginx-service.web.svc.cluster.local", "A"));
        Assert.Equal(["0 100 80 nginx-service.web.svc.cluster.local."], Short("_http._tcp.nginx-service.web.svc.cluster.local", "SRV"));
        Assert.Equal(["nginx-service.web.svc.cluster.local."], Short("-x", "10.233.0.50"));
        Assert.Equal(["10.233.64.3", "10.233.65.4"], Short("kubia-headless.web.svc.cluster.local", "A"));
        Assert.Equal(["10.233.64.3"], Short("10-233-64-3.kubia-headless.web.svc.cluster.local", "A"));
        Assert.Equal(["0 50 8080 10-233-64-3.kubia-headless.web.svc.cluster.local.", "0 50 8080 10-233-65-4.kubia-headless.web.svc.cluster.local."],
            Short("_http._tcp.kubia-headless.web.svc.cluster.local", "SRV"));
        Assert.Equal(["10-233-65-4.kubia-headless.web.svc.cluster.local."], Short("-x", "10.233.65.4"));
        Assert.Equal(["10.233.64.3"], Short("10-233-64-3.web.pod.cluster.local", "A"));
        Assert.Equal(["\"1.1.0\""], Short("dns-version.cluster.local", "TXT"));
        Assert.Equal(["ns.dns.cluster.local."], Short("cluster.local", "NS"));
    }

    [Fact]
    public void NxdomainAndNodataCarryTheSoa()
    {
        Assert.Equal("NXDOMAIN", Status("missing.web.svc.cluster.local", "A"));
        Assert.Equal("NXDOMAIN", Status("10-233-66-5.kubia-headless.web.svc.cluster.local", "A"));
        Assert.Equal("NOERROR", Status("nginx-service.web.svc.cluster.local", "AAAA"));
        var authority = Dig("+noall", "+authority", "nginx-service.web.svc.cluster.local", "AAAA").Trim();
        Assert.Matches(@"^cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$", authority);
        Assert.Empty(Dig("+noall", "+answer", "nginx-service.web.svc.cluster.local", "AAAA").Trim());
    }

    [Fact]
    public void ExternalNameIsACnameChasedUpstream()
    {
        Assert.Equal(["192.0.2.10", "www.upstream.test."], Short("ext.web.svc.cluster.local", "A"));
        var answer = Dig("+noall", "+answer", "ext.web.svc.cluster.local", "A").Trim().Split('\n');
        Assert.Matches(@"^ext\.web\.svc\.cluster\.local\.\s+30\s+IN\s+CNAME\s+www\.upstream\.test\.$", answer[0]);
        Assert.Matches(@"^www\.upstream\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10$", answer[1]);
    }

    [Fact]
    public void OtherNamesAreForwardedAndCachedPositiveAndNegative()
    {
        Assert.Equal(["192.0.2.10"], Short("www.upstream.test", "A"));
        Assert.Equal("NXDOMAIN", Status("nothing.upstream.test", "A"));
        // With named gone, both answers still come from the cache, the TTL counting down from named's.
        _named.Dispose();
        Assert.Equal(["192.0.2.10"], Short("www.upstream.test", "A"));
        Assert.Equal("NXDOMAIN", Status("nothing.upstream.test", "A"));
        var watch = Stopwatch.StartNew();
        Assert.Equal("SERVFAIL", Status("uncached.upstream.test", "A"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"SERVFAIL took {watch.Elapsed}");
    }

    [Fact]
    public void ShortNamesResolveThroughThePodSearchPathWithNdots5()
    {
        var resolvConf = Path.Combine(_scratch, "resolv.conf");
        File.WriteAllText(resolvConf, "nameserver 127.0.0.1\nsearch web.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n");
        // nslookup and dig read /etc/resolv.conf: give them the pod's in a private mount namespace of their own.
        string InPod(string command) =>
            Tool.Check("unshare", "--mount", "--propagation", "private", "sh", "-c", $"mount --bind {resolvConf} /etc/resolv.conf && {command}");

        var nslookup = InPod($"nslookup -port={Port} nginx-service 127.0.0.1");
        Assert.Contains("Name:\tnginx-service.web.svc.cluster.local\nAddress: 10.233.0.50", nslookup);
        var headless = InPod($"nslookup -port={Port} kubia-headless 127.0.0.1");
        Assert.Contains("Name:\tkubia-headless.web.svc.cluster.local\nAddress: 10.233.64.3", headless);
        Assert.Contains("Name:\tkubia-headless.web.svc.cluster.local\nAddress: 10.233.65.4", headless);
        Assert.Equal("10.233.0.50\n", InPod($"dig -p {Port} +search +short nginx-service.web"));
        // Fewer than 5 dots: the search list is tried first (NXDOMAIN each time), then the name as it is.
        Assert.Equal("192.0.2.10\n", InPod($"dig -p {Port} +search +short www.upstream.test"));
        // test/e2e/network/dns.go's names for the API server's Service, from a pod in another namespace.
        Assert.Equal("10.233.0.1\n", InPod($"dig -p {Port} +search +short kubernetes.default"));
        Assert.Equal("10.233.0.1\n", InPod($"dig -p {Port} +search +short kubernetes.default.svc"));
        Assert.Equal("10.233.0.1\n", InPod($"dig -p {Port} +search +short kubernetes.default.svc.cluster.local"));
        var missing = Tool.Run("unshare", "--mount", "--propagation", "private", "sh", "-c", $"mount --bind {resolvConf} /etc/resolv.conf && nslookup -port={Port} no-such-service 127.0.0.1");
        Assert.True((missing.Stdout + missing.Stderr).Contains("** server can't find no-such-service: NXDOMAIN", StringComparison.Ordinal), missing.Stdout + missing.Stderr);
    }

    [Fact]
    public void BigAnswersAreTruncatedOverUdpAndWholeOverTcp()
    {
        var endpoints = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"- addresses: [10.233.70.{i}]"));
        _api.KubectlStdin($$"""
            apiVersion: v1
            kind: Service
            metadata: {name: big, namespace: web}
            spec: {clusterIP: None}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: big-1
              namespace: web
              labels: {kubernetes.io/service-name: big}
            addressType: IPv4
            endpoints:
            {{endpoints}}
            """, "apply", "-f", "-");
        WaitFor(() => Short("+tcp", "big.web.svc.cluster.local").Length == 100);
        var udp = Dig("+noall", "+comments", "+ignore", "+noedns", "big.web.svc.cluster.local");
        Assert.Matches(@"flags: qr aa tc rd ra;", udp);
        // Without +ignore dig retries over TCP on TC, as a stub resolver does.
        Assert.Equal(100, Short("+noedns", "big.web.svc.cluster.local").Length);
        Assert.Equal(100, Short("+bufsize=1232", "big.web.svc.cluster.local").Length);
    }

    [Fact]
    public void AnswersFollowEndpointChangesWithinASecond()
    {
        _api.KubectlStdin("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: kubia-headless-abcde
              namespace: web
              labels: {kubernetes.io/service-name: kubia-headless}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:
            - addresses: [10.233.64.3]
              conditions: {ready: false}
            - addresses: [10.233.66.5]
              conditions: {ready: true}
            """, "apply", "-f", "-");
        var watch = Stopwatch.StartNew();
        WaitFor(() => Short("kubia-headless.web.svc.cluster.local").SequenceEqual(["10.233.66.5"]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
        Console.WriteLine($"endpoint change seen after {watch.Elapsed.TotalMilliseconds:0} ms");
        // ClusterIP -> ExternalName and back.
        _api.KubectlOk("patch", "service", "nginx-service", "-n", "web", "--type=merge", "-p",
            """{"spec":{"type":"ExternalName","externalName":"www.upstream.test","clusterIP":null,"clusterIPs":null,"ipFamilies":null,"ipFamilyPolicy":null,"ports":null}}""");
        watch.Restart();
        WaitFor(() => Short("nginx-service.web.svc.cluster.local").SequenceEqual(["192.0.2.10", "www.upstream.test."]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
        _api.KubectlOk("patch", "service", "nginx-service", "-n", "web", "--type=merge", "-p",
            """{"spec":{"type":"ClusterIP","externalName":null,"clusterIP":"10.233.0.51","clusterIPs":["10.233.0.51"],"ports":[{"name":"http","port":80}]}}""");
        watch.Restart();
        WaitFor(() => Short("nginx-service.web.svc.cluster.local").SequenceEqual(["10.233.0.51"]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
        _api.KubectlOk("delete", "service", "nginx-service", "-n", "web");
        watch.Restart();
        WaitFor(() => Status("nginx-service.web.svc.cluster.local") == "NXDOMAIN");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }

    [Fact]
    public void TheConfigMapChangesTheTtlAndABadOneKeepsTheLastGood()
    {
        string Ttl() => Dig("+noall", "+answer", "nginx-service.web.svc.cluster.local").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal("30", Ttl());
        _api.KubectlOk("create", "configmap", "strata-dns", "-n", "kube-system", "--from-literal=ttl=7");
        WaitFor(() => Ttl() == "7");
        _api.KubectlStdin("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: strata-dns, namespace: kube-system}
            data: {ttl: "seven"}
            """, "apply", "-f", "-");
        Thread.Sleep(500);
        Assert.Equal("7", Ttl());
        Assert.Equal(7u, _dns.Config.Ttl);
    }

    [Fact]
    public async Task GarbageOverUdpAndTcpNeverStopsTheServer()
    {
        var random = new Random(1035);
        using (var udp = new System.Net.Sockets.UdpClient())
        {
            udp.Connect(_dns.Endpoint);
            var formErrs = 0;
            // Replies to whatever had a header: each one parses, and the malformed ones are FORMERR.
            var receiving = Task.Run(async () =>
            {
                while (true)
                {
                    using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    try
                    {
                        var reply = await udp.ReceiveAsync(quiet.Token);
                        var message = Strata.Dns.Wire.DnsReader.Parse(reply.Buffer);
                        formErrs += message.Rcode == Strata.Dns.Wire.DnsRcode.FormErr ? 1 : 0;
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            });
            for (var i = 0; i < 2000; i++)
            {
                var packet = new byte[random.Next(0, 300)];
                random.NextBytes(packet);
                if (packet.Length > 2)
                {
                    packet[2] &= 0x7F; // a query: a readable header gets FORMERR
                }

                await udp.SendAsync(packet);
                if (i % 50 == 0)
                {
                    await Task.Delay(5);
                }
            }

            await receiving;
            Assert.True(formErrs > 1000, $"{formErrs} FORMERR replies to 2000 random packets");
        }

        // TCP: a length prefix promising more than comes, then a close; a pointer loop; a stream cut mid-message.
        foreach (var (bytes, formErr) in new (byte[], bool)[] { ([0xFF, 0xFF, 1, 2, 3], false), ([0, 18, 0xAB, 0xCD, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1], true), ([0, 5], false) })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(_dns.Endpoint);
            var stream = tcp.GetStream();
            await stream.WriteAsync(bytes);
            tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            var reply = new byte[512];
            var n = await stream.ReadAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            if (formErr)
            {
                var message = Strata.Dns.Wire.DnsReader.Parse(reply.AsSpan(2, n - 2));
                Assert.Equal((0xABCD, Strata.Dns.Wire.DnsRcode.FormErr), (message.Id, message.Rcode));
            }
            else
            {
                Assert.Equal(0, n); // closed without an answer
            }
        }

        Assert.Equal(["10.233.0.50"], Short("nginx-service.web.svc.cluster.local"));
        Assert.Equal(["10.233.0.50"], Short("+tcp", "nginx-service.web.svc.cluster.local"));
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            Thread.Sleep(20);
        }
    }
}
