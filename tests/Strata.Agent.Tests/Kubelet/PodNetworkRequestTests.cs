using k8s.Models;
using Strata.Agent.Kubelet.Pods;
using Strata.Agent.Runtime;
using Strata.Cni;

namespace Strata.Agent.Tests.Kubelet;

public sealed class PodNetworkRequestTests
{
    [Fact]
    public void CniArgsAsContainerdSendsThem()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop", Uid = "1234" },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container { Name = "a", Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 8080 }, new V1ContainerPort { ContainerPort = 81 }] },
                    new V1Container { Name = "b", Ports = [new V1ContainerPort { ContainerPort = 53, HostPort = 53, Protocol = "UDP", HostIP = "172.19.0.8" }] },
                ],
            },
        };
        var conf = PodNetworkRequest.For(pod, "abc123", "/run/netns/cni-1");
        Assert.Equal(("abc123", "/run/netns/cni-1", "eth0"), (conf.ContainerId, conf.NetNs, conf.IfName));
        Assert.Equal("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=1234", conf.ArgsText);
        Assert.Equal(
            """[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":53,"containerPort":53,"protocol":"udp","hostIP":"172.19.0.8"}]""",
            conf.CapabilityArgs["portMappings"].ToJsonString());
    }

    [Fact]
    public void NoHostPortsNoCapability()
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", Uid = "u" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "a" }] } };
        Assert.Empty(PodNetworkRequest.For(pod, "id", "/run/netns/x").CapabilityArgs);
    }

    [Theory]
    [InlineData(true, "plugin type=\"bridge\" failed (add): failed to set bridge addr: could not add IP address; busy")]
    [InlineData(false, "plugin type=\"bridge\" failed (add): failed to set bridge addr: could not add IP address")]
    public void AddFailureInContainerdsWords(bool details, string expected)
    {
        var error = new CniPluginException("bridge", "ADD", 11, "failed to set bridge addr: could not add IP address", details ? "busy" : "", reportedByPlugin: true);
        Assert.Equal(expected, PodNetwork.AddFailure(error));
    }
}
