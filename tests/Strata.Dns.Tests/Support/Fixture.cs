using k8s.Models;
using Strata.Dns.Cluster;
using Strata.Dns.Resolution;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests.Support;

/// <summary>Kubernetes objects for fixture clusters, and answers rendered as zone-file lines for comparison.</summary>
public static class Fixture
{
    public static V1Namespace Namespace(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };

    public static V1Service ClusterIp(string ns, string name, string[] ips, params (string Name, string Protocol, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = ips[0],
            ClusterIPs = ips,
            Ports = [.. ports.Select(p => new V1ServicePort { Name = p.Name, Protocol = p.Protocol, Port = p.Port })],
        },
    };

    public static V1Service Headless(string ns, string name, bool publishNotReady = false, params (string Name, string Protocol, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = "None",
            ClusterIPs = ["None"],
            PublishNotReadyAddresses = publishNotReady,
            Ports = [.. ports.Select(p => new V1ServicePort { Name = p.Name, Protocol = p.Protocol, Port = p.Port })],
        },
    };

    public static V1Service ExternalName(string ns, string name, string target, params (string Name, string Protocol, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = "ExternalName",
            ExternalName = target,
            Ports = [.. ports.Select(p => new V1ServicePort { Name = p.Name, Protocol = p.Protocol, Port = p.Port })],
        },
    };

    public static V1EndpointSlice Slice(string ns, string service, string addressType, (string Name, string Protocol, int Port)[] ports, params (string Ip, string? Hostname, bool Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = service + "-" + addressType.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..5],
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
        },
        AddressType = addressType,
        Ports = [.. ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Protocol = p.Protocol, Port = p.Port })],
        Endpoints = [.. endpoints.Select(e => new V1Endpoint
        {
            Addresses = [e.Ip],
            Hostname = e.Hostname,
            Conditions = new V1EndpointConditions { Ready = e.Ready },
        })],
    };

    public static V1Pod Pod(string ns, string name, string ip, string phase = "Running") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1PodSpec(),
        Status = new V1PodStatus { Phase = phase, PodIP = ip, PodIPs = [new V1PodIP { Ip = ip }] },
    };

    /// <summary>
    /// The cluster of CoreDNS's plugin/kubernetes/handler_test.go (svcIndex, epsIndex): the same Services, endpoints,
    /// hostnames and ports, written as Services and EndpointSlices; plus pods and a publishNotReadyAddresses Service.
    /// </summary>
    public static ClusterSnapshot CoreDnsCluster(uint serial = 1499347823)
    {
        (string, string, int)[] http = [("http", "TCP", 80)];
        V1Namespace[] namespaces = [Namespace("testns"), Namespace("kube-system"), Namespace("podns"), Namespace("unexposedns")];
        V1Service[] services =
        [
            ClusterIp("kube-system", "kube-dns", ["10.0.0.10"], ("dns", "UDP", 53)),
            ClusterIp("testns", "svc1", ["10.0.0.1"], http),
            ClusterIp("testns", "svcempty", ["10.0.0.1"], http),
            ClusterIp("testns", "svc6", ["1234:abcd::1"], http),
            Headless("testns", "hdls1"),
            ExternalName("testns", "external", "ext.interwebs.test", http),
            ExternalName("testns", "external-to-service", "svc1.testns.svc.cluster.local.", http),
            Headless("testns", "hdlsprtls"),
            ClusterIp("unexposedns", "svc1", ["10.0.0.2"], http),
            ClusterIp("testns", "svc-dual-stack", ["10.0.0.3", "10::3"], http),
            Headless("testns", "notready", publishNotReady: false, ("http", "TCP", 80)),
            Headless("testns", "notready-published", publishNotReady: true, ("http", "TCP", 80)),
            Headless("testns", "noendpoints"),
        ];
        V1EndpointSlice[] slices =
        [
            Slice("kube-system", "kube-dns", "IPv4", [("dns", "UDP", 53)], ("172.0.0.100", null, true)),
            Slice("testns", "svc1", "IPv4", http, ("172.0.0.1", "ep1a", true)),
            Slice("testns", "svcempty", "IPv4", http),
            Slice("testns", "hdls1", "IPv4", http, ("172.0.0.2", null, true), ("172.0.0.3", null, true), ("172.0.0.4", "dup-name", true), ("172.0.0.5", "dup-name", true)),
            Slice("testns", "hdls1", "IPv6", http, ("5678:abcd::1", null, true), ("5678:abcd::2", null, true)),
            Slice("testns", "hdlsprtls", "IPv4", [("", "TCP", -1)], ("172.0.0.20", null, true)),
            Slice("testns", "notready", "IPv4", http, ("172.0.0.30", null, false)),
            Slice("testns", "notready-published", "IPv4", http, ("172.0.0.31", null, false)),
        ];
        V1Pod[] pods = [Pod("podns", "foo", "10.240.0.1"), Pod("podns", "done", "10.240.0.2", "Succeeded")];
        return ClusterSnapshot.Build(namespaces, services, slices, pods, serial);
    }

    /// <summary>One record as a dig-style line: name with trailing dot, TTL, class, type, data.</summary>
    public static string Line(DnsRecord record) => record.ToString();

    /// <summary>A section as sorted lines (CoreDNS's test.SortAndCheck compares sections ignoring order).</summary>
    public static string[] Lines(IEnumerable<DnsRecord> records) => [.. records.Select(Line).Order(StringComparer.Ordinal)];

    /// <summary>Lines written as in the CoreDNS test (any run of blanks between fields) into our exact form.</summary>
    public static string[] Expect(params string[] lines) =>
        [.. lines.Select(l => string.Join('\t', l.Split([' ', '\t'], 5, StringSplitOptions.RemoveEmptyEntries).Select((f, i) => i == 4 ? f.Trim() : f))).Order(StringComparer.Ordinal)];
}
