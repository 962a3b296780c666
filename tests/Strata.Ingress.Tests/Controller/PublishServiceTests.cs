using k8s.Models;
using Strata.Ingress.Controller;

namespace Strata.Ingress.Tests.Controller;

public sealed class PublishServiceTests
{
    private static V1Service Service(string type, string? clusterIp = "10.233.0.40", IList<string>? externalIps = null, params V1LoadBalancerIngress[] ingress) => new()
    {
        Spec = new V1ServiceSpec { Type = type, ClusterIP = clusterIp, ExternalIPs = externalIps, ExternalName = type == "ExternalName" ? "lb.example.com" : null },
        Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = ingress } },
    };

    [Fact]
    public void Addresses_follow_ingress_nginxs_status_address_from_service()
    {
        Assert.Equal(["172.19.15.200", "lb.example.net", "192.0.2.7"], PublishService.Addresses(Service("LoadBalancer", externalIps: ["192.0.2.7"],
            ingress: [new V1LoadBalancerIngress { Ip = "172.19.15.200", IpMode = "VIP" }, new V1LoadBalancerIngress { Hostname = "lb.example.net" }])));
        Assert.Empty(PublishService.Addresses(Service("LoadBalancer")));
        Assert.Equal(["10.233.0.40"], PublishService.Addresses(Service("NodePort")));
        Assert.Equal(["192.0.2.8"], PublishService.Addresses(Service("NodePort", externalIps: ["192.0.2.8"])));
        Assert.Equal(["10.233.0.40"], PublishService.Addresses(Service("ClusterIP")));
        Assert.Empty(PublishService.Addresses(Service("ClusterIP", clusterIp: "None")));
        Assert.Equal(["lb.example.com"], PublishService.Addresses(Service("ExternalName", clusterIp: null)));
        Assert.Empty(PublishService.Addresses(null));
    }
}
