using System.Net;
using Strata.Dns.Cluster;
using Strata.Dns.Configuration;
using Strata.Dns.Resolution;
using Strata.Dns.Tests.Support;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests;

/// <summary>
/// The cases of CoreDNS's plugin/kubernetes/handler_test.go (commonDnsTestCases, dnsTestCases, nsTestCases,
/// notSyncedTestCases) over the same fixture cluster, with the same names, types, rcodes and sections, plus the
/// specification's pod, PTR, NS and publishNotReadyAddresses records. TTL 5 as in CoreDNS's tests.
/// </summary>
public sealed class ClusterResolverTests
{
    private const string Soa = "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5";

    private static readonly ClusterResolver Resolver = new(new DnsConfig { Ttl = 5 });
    private static readonly ClusterSnapshot Cluster = Fixture.CoreDnsCluster();

    public sealed record Case(string Name, DnsType Type, DnsRcode Rcode, string[] Answer, string[] Ns, string[] Extra)
    {
        public override string ToString() => $"{Name} {Type}";
    }

    private static Case Ok(string name, DnsType type, string[] answer, string[]? extra = null) => new(name, type, DnsRcode.NoError, answer, [], extra ?? []);

    private static Case NoData(string name, DnsType type) => new(name, type, DnsRcode.NoError, [], [Soa], []);

    private static Case NxDomain(string name, DnsType type) => new(name, type, DnsRcode.NXDomain, [], [Soa], []);

    public static TheoryData<Case> CoreDnsCases() =>
    [
        // commonDnsTestCases
        Ok("svc1.testns.svc.cluster.local.", DnsType.A, ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("svcempty.testns.svc.cluster.local.", DnsType.A, ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("svc1.testns.svc.cluster.local.", DnsType.SRV, ["svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."], ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("svcempty.testns.svc.cluster.local.", DnsType.SRV, ["svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."], ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("svc6.testns.svc.cluster.local.", DnsType.SRV, ["svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."], ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        Ok("_http._tcp.svc1.testns.svc.cluster.local.", DnsType.SRV, ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."], ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("_http._tcp.svcempty.testns.svc.cluster.local.", DnsType.SRV, ["_http._tcp.svcempty.testns.svc.cluster.local. 5 IN SRV 0 100 80 svcempty.testns.svc.cluster.local."], ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"]),
        Ok("hdls1.testns.svc.cluster.local.", DnsType.A,
        [
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
        ]),
        Ok("hdlsprtls.testns.svc.cluster.local.", DnsType.A, ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"]),
        NoData("svc1.testns.svc.cluster.local.", DnsType.AAAA),
        NxDomain("svc0.testns.svc.cluster.local.", DnsType.AAAA),
        NxDomain("svc0.testns.svc.cluster.local.", DnsType.A),
        NxDomain("svc0.svc-nons.svc.cluster.local.", DnsType.A),
        Ok("dns-version.cluster.local.", DnsType.TXT, ["dns-version.cluster.local. 28800 IN TXT \"1.1.0\""]),
        NoData("svc1.testns.svc.cluster.local.", DnsType.TXT),
        NxDomain("svc0.svc-nons.svc.cluster.local.", DnsType.TXT),
        NxDomain("bogusendpoint.hdls1.testns.svc.cluster.local.", DnsType.A),
        NxDomain("bogusendpoint.svc0.testns.svc.cluster.local.", DnsType.A),
        Ok("svc6.testns.svc.cluster.local.", DnsType.AAAA, ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        Ok("_http._tcp.svc6.testns.svc.cluster.local.", DnsType.SRV, ["_http._tcp.svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."], ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        Ok("hdls1.testns.svc.cluster.local.", DnsType.AAAA, ["hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1", "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"]),
        NoData("svc.cluster.local.", DnsType.A),
        NoData("pod.cluster.local.", DnsType.A),
        NoData("testns.svc.cluster.local.", DnsType.A),
        NoData("svc.cluster.local.", DnsType.NS),
        NoData("testns.svc.cluster.local.", DnsType.NS),
        NxDomain("foo.cluster.local.", DnsType.NS),
        NxDomain("foo.svc.cluster.local.", DnsType.NS),
        Ok("svc-dual-stack.testns.svc.cluster.local.", DnsType.A, ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"]),
        Ok("svc-dual-stack.testns.svc.cluster.local.", DnsType.AAAA, ["svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"]),
        Ok("svc-dual-stack.testns.svc.cluster.local.", DnsType.SRV, ["svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
        [
            "svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3", "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3",
        ]),
        NoData("svc1.testns.svc.cluster.local.", DnsType.SOA),
        NxDomain("endpoint.external.testns.svc.cluster.local.", DnsType.CNAME),
        NxDomain("subdomain.subdomain.external.testns.svc.cluster.local.", DnsType.CNAME),

        // dnsTestCases
        Ok("_http._tcp.hdls1.testns.svc.cluster.local.", DnsType.SRV,
        [
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local.",
            "_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 dup-name.hdls1.testns.svc.cluster.local.",
        ],
        [
            "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2",
            "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1",
            "5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
        ]),
        Ok("5678-abcd--2.hdls1.testns.svc.cluster.local", DnsType.AAAA, ["5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2"]),
        Ok("5678-abcd--1.hdls1.testns.svc.cluster.local.", DnsType.AAAA, ["5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"]),
        Ok("172-0-0-20.hdlsprtls.testns.svc.cluster.local.", DnsType.A, ["172-0-0-20.hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"]),
        Ok("172-0-0-2.hdls1.testns.svc.cluster.local.", DnsType.A, ["172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"]),
        Ok("172-0-0-3.hdls1.testns.svc.cluster.local.", DnsType.A, ["172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3"]),
        Ok("dup-name.hdls1.testns.svc.cluster.local.", DnsType.A, ["dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"]),
        Ok("external.testns.svc.cluster.local.", DnsType.CNAME, ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."]),
        Ok("external-to-service.testns.svc.cluster.local", DnsType.A,
        [
            "external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.", "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1",
        ]),

        // nsTestCases (every namespace exposed)
        NxDomain("svc1.nsnoexist.svc.cluster.local.", DnsType.A),
        Ok("svc1.unexposedns.svc.cluster.local.", DnsType.A, ["svc1.unexposedns.svc.cluster.local. 5 IN A 10.0.0.2"]),
    ];

    public static TheoryData<Case> SpecificationCases() =>
    [
        // Names are case-insensitive; the answer keeps the asker's spelling (RFC 4343).
        Ok("SVC1.TestNS.svc.Cluster.Local.", DnsType.A, ["SVC1.TestNS.svc.Cluster.Local. 5 IN A 10.0.0.1"]),
        // Pods: <dashed-ip>.<ns>.pod.<zone>, CoreDNS's "pods insecure".
        Ok("1-2-3-4.testns.pod.cluster.local.", DnsType.A, ["1-2-3-4.testns.pod.cluster.local. 5 IN A 1.2.3.4"]),
        Ok("10-240-0-1.podns.pod.cluster.local.", DnsType.A, ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"]),
        Ok("1234-abcd--1.podns.pod.cluster.local.", DnsType.AAAA, ["1234-abcd--1.podns.pod.cluster.local. 5 IN AAAA 1234:abcd::1"]),
        NoData("1-2-3-4.testns.pod.cluster.local.", DnsType.AAAA),
        NxDomain("1-2-3-4.nons.pod.cluster.local.", DnsType.A),
        NxDomain("not-an-ip.testns.pod.cluster.local.", DnsType.A),
        NxDomain("1-2-3-999.testns.pod.cluster.local.", DnsType.A),
        NoData("testns.pod.cluster.local.", DnsType.A),
        // Headless: no ready endpoint is NXDOMAIN; publishNotReadyAddresses publishes the not-ready one.
        NxDomain("notready.testns.svc.cluster.local.", DnsType.A),
        NxDomain("noendpoints.testns.svc.cluster.local.", DnsType.A),
        Ok("notready-published.testns.svc.cluster.local.", DnsType.A, ["notready-published.testns.svc.cluster.local. 5 IN A 172.0.0.31"]),
        Ok("172-0-0-31.notready-published.testns.svc.cluster.local.", DnsType.A, ["172-0-0-31.notready-published.testns.svc.cluster.local. 5 IN A 172.0.0.31"]),
        // CoreDNS answers endpoint names of ClusterIP Services too (kubernetes.go findServices: "Endpoint query or headless service").
        Ok("ep1a.svc1.testns.svc.cluster.local.", DnsType.A, ["ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"]),
        Ok("1.0.0.172.in-addr.arpa.", DnsType.PTR, ["1.0.0.172.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local."]),
        // SRV for a port name or protocol the Service does not have.
        NxDomain("_https._tcp.svc1.testns.svc.cluster.local.", DnsType.SRV),
        NxDomain("_http._udp.svc1.testns.svc.cluster.local.", DnsType.SRV),
        NoData("_tcp.svc1.testns.svc.cluster.local.", DnsType.SRV),
        // ExternalName SRV: the port with the external name as target.
        Ok("_http._tcp.external.testns.svc.cluster.local.", DnsType.SRV, ["_http._tcp.external.testns.svc.cluster.local. 5 IN SRV 0 100 80 ext.interwebs.test."]),
        // The zone apex: SOA, NS with the kube-dns ClusterIP as glue, nothing else.
        Ok("cluster.local.", DnsType.SOA, [Soa]),
        new Case("cluster.local.", DnsType.NS, DnsRcode.NoError, ["cluster.local. 5 IN NS ns.dns.cluster.local."], [], ["ns.dns.cluster.local. 5 IN A 10.0.0.10"]),
        NoData("cluster.local.", DnsType.A),
        Ok("ns.dns.cluster.local.", DnsType.A, ["ns.dns.cluster.local. 5 IN A 10.0.0.10"]),
        NoData("dns-version.cluster.local.", DnsType.A),
        // PTR for ClusterIPs and for headless endpoints (by hostname or dashed IP); other addresses are forwarded.
        Ok("1.0.0.10.in-addr.arpa.", DnsType.PTR,
        [
            "1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local.", "1.0.0.10.in-addr.arpa. 5 IN PTR svcempty.testns.svc.cluster.local.",
        ]),
        Ok("4.0.0.172.in-addr.arpa.", DnsType.PTR, ["4.0.0.172.in-addr.arpa. 5 IN PTR dup-name.hdls1.testns.svc.cluster.local."]),
        Ok("2.0.0.172.in-addr.arpa.", DnsType.PTR, ["2.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-2.hdls1.testns.svc.cluster.local."]),
        Ok(ReverseName.For(IPAddress.Parse("1234:abcd::1")), DnsType.PTR, [ReverseName.For(IPAddress.Parse("1234:abcd::1")) + ". 5 IN PTR svc6.testns.svc.cluster.local."]),
    ];

    [Theory]
    [MemberData(nameof(CoreDnsCases))]
    [MemberData(nameof(SpecificationCases))]
    public void Answers(Case c)
    {
        var resolution = Resolver.Resolve(new DnsQuestion(DnsName.Normalize(c.Name), c.Type), Cluster);
        Assert.False(resolution.Forward);
        Assert.Equal(c.Rcode, resolution.Rcode);
        Assert.Equal(Fixture.Expect(c.Answer), Fixture.Lines(resolution.Answers));
        Assert.Equal(Fixture.Expect(c.Ns), Fixture.Lines(resolution.Authority));
        Assert.Equal(Fixture.Expect(c.Extra), Fixture.Lines(resolution.Additional));
    }

    [Fact]
    public void CnameComesBeforeItsTarget()
    {
        var resolution = Resolver.Resolve(new DnsQuestion("external-to-service.testns.svc.cluster.local", DnsType.A), Cluster);
        Assert.Equal([DnsType.CNAME, DnsType.A], resolution.Answers.Select(a => a.Type));
    }

    [Fact]
    public void ExternalNameOutsideTheZoneIsChasedUpstream()
    {
        var resolution = Resolver.Resolve(new DnsQuestion("external.testns.svc.cluster.local", DnsType.A), Cluster);
        Assert.Equal("ext.interwebs.test", resolution.ChaseName);
        Assert.Equal(["external.testns.svc.cluster.local.\t5\tIN\tCNAME\text.interwebs.test."], Fixture.Lines(resolution.Answers));
    }

    [Fact]
    public void NotSyncedIsServfailWithTheSoa()
    {
        var resolution = Resolver.Resolve(new DnsQuestion("svc0.testns.svc.cluster.local", DnsType.A), ClusterSnapshot.NotSynced);
        Assert.Equal(DnsRcode.ServFail, resolution.Rcode);
        Assert.Empty(resolution.Answers);
        Assert.Equal(DnsType.SOA, Assert.Single(resolution.Authority).Type);
    }

    [Theory]
    [InlineData("example.com", DnsType.A)]
    [InlineData("cluster.local.example.com", DnsType.A)]
    [InlineData("9.9.9.9.in-addr.arpa", DnsType.PTR)]
    [InlineData("local", DnsType.SOA)]
    public void NamesOutsideTheClusterAreForwarded(string name, DnsType type)
    {
        Assert.True(Resolver.Resolve(new DnsQuestion(name, type), Cluster).Forward);
    }

    [Fact]
    public void VerifiedPodsAnswerOnlyForRunningPodsInTheirNamespace()
    {
        var verified = new ClusterResolver(new DnsConfig { Ttl = 5, Pods = PodMode.Verified });
        Assert.Equal(DnsRcode.NoError, verified.Resolve(new DnsQuestion("10-240-0-1.podns.pod.cluster.local", DnsType.A), Cluster).Rcode);
        Assert.Equal(DnsRcode.NXDomain, verified.Resolve(new DnsQuestion("10-240-0-1.testns.pod.cluster.local", DnsType.A), Cluster).Rcode);
        Assert.Equal(DnsRcode.NXDomain, verified.Resolve(new DnsQuestion("1-2-3-4.podns.pod.cluster.local", DnsType.A), Cluster).Rcode);
        Assert.Equal(DnsRcode.NXDomain, verified.Resolve(new DnsQuestion("10-240-0-2.podns.pod.cluster.local", DnsType.A), Cluster).Rcode);
        var disabled = new ClusterResolver(new DnsConfig { Pods = PodMode.Disabled });
        Assert.Equal(DnsRcode.NXDomain, disabled.Resolve(new DnsQuestion("10-240-0-1.podns.pod.cluster.local", DnsType.A), Cluster).Rcode);
    }

    [Fact]
    public void AnotherZoneAndTtl()
    {
        var resolver = new ClusterResolver(new DnsConfig { Zone = "strata.test", Ttl = 30 });
        var snapshot = ClusterSnapshot.Build([Fixture.Namespace("default")], [Fixture.ClusterIp("default", "web", ["10.96.0.7"], ("http", "TCP", 80))], [], [], 7);
        var hit = resolver.Resolve(new DnsQuestion("web.default.svc.strata.test", DnsType.A), snapshot);
        Assert.Equal(["web.default.svc.strata.test.\t30\tIN\tA\t10.96.0.7"], Fixture.Lines(hit.Answers));
        Assert.True(resolver.Resolve(new DnsQuestion("web.default.svc.cluster.local", DnsType.A), snapshot).Forward);
        var miss = resolver.Resolve(new DnsQuestion("db.default.svc.strata.test", DnsType.A), snapshot);
        Assert.Equal(["strata.test.\t30\tIN\tSOA\tns.dns.strata.test. hostmaster.strata.test. 7 7200 1800 86400 30"], Fixture.Lines(miss.Authority));
    }
}
