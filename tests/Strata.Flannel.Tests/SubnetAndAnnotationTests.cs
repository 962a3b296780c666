using System.Net;
using k8s.Models;
using Strata.Flannel.Config;
using Strata.Flannel.Subnet;
using Strata.Netlink;

namespace Strata.Flannel.Tests;

public sealed class SubnetAndAnnotationTests
{
    private static readonly NetConf Conf = NetConfParser.Parse("""{"Network":"10.233.64.0/18","Backend":{"Type":"vxlan"}}""", "test");

    [Fact]
    public void SubnetEnvIsUpstreamsFourLines()
    {
        string text = SubnetEnv.Render(Conf, IpPrefix.Parse("10.233.65.0/24"), 1450, ipMasq: true);

        Assert.Equal("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.65.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", text);
    }

    [Fact]
    public void SubnetEnvWithoutMasquerade()
    {
        string text = SubnetEnv.Render(Conf, IpPrefix.Parse("10.233.66.0/24"), 1500, ipMasq: false);

        Assert.Equal("FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.66.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=false\n", text);
    }

    [Fact]
    public void SubnetEnvWriteReplacesTheFileWhole()
    {
        var directory = Directory.CreateTempSubdirectory("strata-flannel-").FullName;
        try
        {
            string path = Path.Combine(directory, "run", "subnet.env");
            SubnetEnv.Write(path, "A=1\n");
            SubnetEnv.Write(path, "B=2\n");

            Assert.Equal("B=2\n", File.ReadAllText(path));
            Assert.Equal(["subnet.env"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void VxlanBackendDataIsGoJsonOfVxlanLeaseAttrs()
    {
        var data = new VxlanLeaseData(1, MacAddress.Parse("0E:A1:B2:C3:D4:E5"));

        Assert.Equal("""{"VNI":1,"VtepMAC":"0e:a1:b2:c3:d4:e5"}""", data.ToJson());
        Assert.Equal(data, VxlanLeaseData.TryParse(data.ToJson()));
        Assert.Null(VxlanLeaseData.TryParse("null"));
        Assert.Null(VxlanLeaseData.TryParse("""{"VNI":1}"""));
        Assert.Null(VxlanLeaseData.TryParse("""{"VNI":1,"VtepMAC":"zz"}"""));
    }

    [Fact]
    public void PublishedAnnotationsAreUpstreamsFour()
    {
        var annotations = NodeAnnotations.For("vxlan", """{"VNI":1,"VtepMAC":"0e:a1:b2:c3:d4:e5"}""", IPAddress.Parse("192.168.50.11"));

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["flannel.alpha.coreos.com/backend-data"] = """{"VNI":1,"VtepMAC":"0e:a1:b2:c3:d4:e5"}""",
                ["flannel.alpha.coreos.com/backend-type"] = "vxlan",
                ["flannel.alpha.coreos.com/kube-subnet-manager"] = "true",
                ["flannel.alpha.coreos.com/public-ip"] = "192.168.50.11",
            },
            annotations);
    }

    [Fact]
    public void AnnotatedNodeBecomesALease()
    {
        var node = Node("node2", "10.233.66.0/24", NodeAnnotations.For("vxlan", """{"VNI":1,"VtepMAC":"0e:00:00:00:00:02"}""", IPAddress.Parse("192.168.50.12")));

        var lease = NodeAnnotations.ToLease(node, out var reason);

        Assert.Null(reason);
        Assert.NotNull(lease);
        Assert.Equal(("node2", IpPrefix.Parse("10.233.66.0/24"), "vxlan", "192.168.50.12"), (lease.NodeName, lease.Subnet, lease.BackendType, lease.PublicIp.ToString()));
        Assert.Equal("0e:00:00:00:00:02", MacAddress.Format(lease.Vxlan!.VtepMac));
        Assert.True(NodeAnnotations.AreCurrent(node, NodeAnnotations.For("vxlan", """{"VNI":1,"VtepMAC":"0e:00:00:00:00:02"}""", IPAddress.Parse("192.168.50.12"))));
        Assert.False(NodeAnnotations.AreCurrent(node, NodeAnnotations.For("host-gw", "null", IPAddress.Parse("192.168.50.12"))));
    }

    [Fact]
    public void NodesThatAreNotLeasesSayWhy()
    {
        var unmanaged = Node("node3", "10.233.67.0/24", new Dictionary<string, string>());
        var badIp = Node("node4", "10.233.68.0/24", new Dictionary<string, string>
        {
            [NodeAnnotations.KubeSubnetManager] = "true",
            [NodeAnnotations.PublicIp] = "fe80::1",
        });
        var noCidr = Node("node5", null, NodeAnnotations.For("host-gw", "null", IPAddress.Parse("192.168.50.15")));

        Assert.Null(NodeAnnotations.ToLease(unmanaged, out var r1));
        Assert.Equal("node node3 has no flannel.alpha.coreos.com/kube-subnet-manager=true annotation", r1);
        Assert.Null(NodeAnnotations.ToLease(badIp, out var r2));
        Assert.Equal("node node4: annotation flannel.alpha.coreos.com/public-ip=\"fe80::1\" is not an IPv4 address", r2);
        Assert.Null(NodeAnnotations.ToLease(noCidr, out var r3));
        Assert.Equal("node node5 has no IPv4 spec.podCIDR", r3);
    }

    [Fact]
    public void PodCidrPrefersTheIpv4EntryOfPodCidrs()
    {
        var node = Node("n", null, null);
        node.Spec.PodCIDRs = ["fd00::/64", "10.233.70.0/24"];

        Assert.Equal(IpPrefix.Parse("10.233.70.0/24"), NodeAnnotations.PodCidr(node));
    }

    internal static V1Node Node(string name, string? podCidr, IReadOnlyDictionary<string, string>? annotations) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Annotations = annotations is null ? null : new Dictionary<string, string>(annotations) },
        Spec = new V1NodeSpec { PodCIDR = podCidr },
    };
}
