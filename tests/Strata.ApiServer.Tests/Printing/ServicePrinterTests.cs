using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>TestPrintService, TestPrintServiceLoadBalancer and TestPrintServiceList from printers_test.go.</summary>
public class ServicePrinterTests
{
    [Theory]
    // Columns: Name, Type, Cluster-IP, External-IP, Port(s), Age, Selector
    [InlineData("""{"metadata": {"name": "test1"}, "spec": {"type": "ClusterIP", "ports": [{"protocol": "tcp", "port": 2233}], "clusterIPs": ["10.9.8.7"], "selector": {"foo": "bar"}}}""",
        "test1", "ClusterIP", "10.9.8.7", "<none>", "2233/tcp", "<unknown>", "foo=bar")]
    [InlineData("""{"metadata": {"name": "test2"}, "spec": {"type": "NodePort", "ports": [{"protocol": "tcp", "port": 8888, "nodePort": 9999}], "clusterIPs": ["10.9.8.7"]}}""",
        "test2", "NodePort", "10.9.8.7", "<none>", "8888:9999/tcp", "<unknown>", "<none>")]
    [InlineData("""{"metadata": {"name": "test3"}, "spec": {"type": "LoadBalancer", "ports": [{"protocol": "tcp", "port": 8888}], "clusterIPs": ["10.9.8.7"]}}""",
        "test3", "LoadBalancer", "10.9.8.7", "<pending>", "8888/tcp", "<unknown>", "<none>")]
    [InlineData("""{"metadata": {"name": "test4"}, "spec": {"type": "LoadBalancer", "ports": [{"protocol": "tcp", "port": 8888}], "clusterIPs": ["10.9.8.7"], "externalIPs": ["80.11.12.10"]}}""",
        "test4", "LoadBalancer", "10.9.8.7", "80.11.12.10", "8888/tcp", "<unknown>", "<none>")]
    [InlineData("""
        {"metadata": {"name": "test5"}, "spec": {"type": "LoadBalancer", "ports": [{"protocol": "tcp", "port": 8888}], "clusterIPs": ["10.9.8.7"], "externalIPs": ["80.11.12.10"]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "3.4.5.6", "hostname": "test.cluster.com"}]}}}
        """,
        "test5", "LoadBalancer", "10.9.8.7", "3.4.5.6,80.11.12.10", "8888/tcp", "<unknown>", "<none>")]
    [InlineData("""
        {"metadata": {"name": "test6"}, "spec": {"type": "LoadBalancer", "ports": [{"protocol": "tcp", "port": 8888}], "clusterIPs": ["10.9.8.7"], "externalIPs": ["80.11.12.10", "80.11.12.11"]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5", "hostname": "test.cluster.local"}, {"ip": "3.4.5.6", "hostname": "test.cluster.com"}]}}}
        """,
        "test6", "LoadBalancer", "10.9.8.7", "2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11", "8888/tcp", "<unknown>", "<none>")]
    [InlineData("""{"metadata": {"name": "test7"}, "spec": {"type": "ExternalName", "externalName": "my.database.example.com"}}""",
        "test7", "ExternalName", "<none>", "my.database.example.com", "<none>", "<unknown>", "<none>")]
    [InlineData("""{"metadata": {"name": "service2"}, "spec": {"type": "NodePort", "ports": [{"protocol": "udp", "port": 5566}], "clusterIPs": ["1.2.3.4"]}}""",
        "service2", "NodePort", "1.2.3.4", "<none>", "5566/udp", "<unknown>", "<none>")]
    // TestPrintServiceLoadBalancer
    [InlineData("""
        {"metadata": {"name": "service1"}, "spec": {"clusterIPs": ["1.2.3.4"], "type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}]}}}
        """,
        "service1", "LoadBalancer", "1.2.3.4", "2.3.4.5,3.4.5.6", "80/TCP", "<unknown>", "<none>")]
    [InlineData("""
        {"metadata": {"name": "service2"}, "spec": {"clusterIPs": ["1.3.4.5"], "type": "LoadBalancer",
                   "ports": [{"port": 80, "protocol": "TCP"}, {"port": 8090, "protocol": "UDP"}, {"port": 8000, "protocol": "TCP"}, {"port": 7777, "protocol": "SCTP"}]}}
        """,
        "service2", "LoadBalancer", "1.3.4.5", "<pending>", "80/TCP,8090/UDP,8000/TCP,7777/SCTP", "<unknown>", "<none>")]
    // The server prints wide, so the long list is not elided to "2.3.4.5,3.4.5..." as kubectl's own printer would.
    [InlineData("""
        {"metadata": {"name": "service4"}, "spec": {"clusterIPs": ["1.5.6.7"], "type": "LoadBalancer", "selector": {"foo": "bar"},
                   "ports": [{"port": 80, "protocol": "TCP"}, {"port": 8090, "protocol": "UDP"}, {"port": 8000, "protocol": "TCP"}]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}, {"ip": "5.6.7.8", "hostname": "host5678"}]}}}
        """,
        "service4", "LoadBalancer", "1.5.6.7", "2.3.4.5,3.4.5.6,5.6.7.8", "80/TCP,8090/UDP,8000/TCP", "<unknown>", "foo=bar")]
    public void ServiceRowsMatchPrintService(string json, params object[] expected) =>
        Assert.Equal(expected, Rows.Wide("", "Service", json));

    [Fact]
    public void NarrowLoadBalancerListIsElidedAtSixteenCharacters()
    {
        var service = Rows.Parse("""
            {"metadata": {"name": "service4"}, "spec": {"type": "LoadBalancer"},
             "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}, {"ip": "5.6.7.8", "hostname": "host5678"}]}}}
            """);
        Assert.Equal("2.3.4.5,3.4.5...", ServicePrinter.ExternalIP(service, wide: false));
        Assert.Equal("2.3.4.5,3.4.5.6,5.6.7.8", ServicePrinter.ExternalIP(service, wide: true));
    }

    [Theory]
    // An unset type and protocol are what the API server defaults them to.
    [InlineData("""{"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 53}, {"port": 53, "protocol": "UDP"}]}}""",
        "ClusterIP", "10.96.0.10", "53/TCP,53/UDP")]
    [InlineData("""{"metadata": {"name": "s"}, "spec": {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}}""",
        "ClusterIP", "None", "<none>")]
    [InlineData("""{"metadata": {"name": "s"}, "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "externalIPs": ["192.0.2.1", "192.0.2.2"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}""",
        "NodePort", "10.96.0.20", "80:30080/TCP")]
    public void TypeClusterIPAndPorts(string json, string type, string clusterIP, string ports)
    {
        var cells = Rows.Wide("", "Service", json);
        Assert.Equal(type, cells[1]);
        Assert.Equal(clusterIP, cells[2]);
        Assert.Equal(ports, cells[4]);
    }

    [Fact]
    public void ExternalIPsOfANodePortServiceAreListed() =>
        Assert.Equal("192.0.2.1,192.0.2.2", Rows.Wide("", "Service", """{"metadata": {"name": "s"}, "spec": {"type": "NodePort", "externalIPs": ["192.0.2.1", "192.0.2.2"]}}""")[3]);

    [Fact]
    public void LoadBalancerHostnamesAreUsedWhenThereIsNoIP() =>
        Assert.Equal("a.example.com,b.example.com", Rows.Wide("", "Service", """
            {"metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"},
             "status": {"loadBalancer": {"ingress": [{"hostname": "b.example.com"}, {"hostname": "a.example.com"}, {"hostname": "a.example.com"}]}}}
            """)[3]);
}
