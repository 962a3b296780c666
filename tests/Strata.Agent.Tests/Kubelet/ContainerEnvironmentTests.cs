using k8s.Models;
using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class ContainerEnvironmentTests
{
    private static readonly PodRuntimeFacts Facts = new("10.233.64.7", ["10.233.64.7"], "172.19.0.8", "web");

    [Theory]
    [InlineData("metadata.name", "web")]
    [InlineData("metadata.namespace", "shop")]
    [InlineData("metadata.uid", "uid-1")]
    [InlineData("spec.nodeName", "node1")]
    [InlineData("status.podIP", "10.233.64.7")]
    [InlineData("status.hostIP", "172.19.0.8")]
    [InlineData("metadata.labels['app']", "web")]
    public void FieldRefs(string path, string expected)
    {
        var container = new V1Container { Name = "c", Env = [new V1EnvVar { Name = "X", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } }] };
        Assert.Contains($"X={expected}", ContainerEnvironment.Build(Pod(), container, Facts, []));
    }

    [Theory]
    [InlineData("$(A)-x", "1-x")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("a$b", "a$b")]
    [InlineData("$(A", "$(A")]
    [InlineData("$", "$")]
    public void Expansion(string input, string expected)
    {
        Assert.Equal(expected, ContainerEnvironment.Expand(input, name => name == "A" ? "1" : null));
    }

    [Fact]
    public void OrderDefaultsImageThenSpecAndLaterOverrides()
    {
        var container = new V1Container
        {
            Name = "c",
            Env = [new V1EnvVar { Name = "B", Value = "$(A)/b" }, new V1EnvVar { Name = "A", Value = "spec" }, new V1EnvVar { Name = "PATH", Value = "/opt/bin" }],
        };
        var env = ContainerEnvironment.Build(Pod(), container, Facts, ["A=image", "NGINX_VERSION=1"]);
        Assert.Equal(["PATH=/opt/bin", "HOSTNAME=web", "A=spec", "NGINX_VERSION=1", "B=image/b"], env);
        Assert.Equal(["echo", "spec"], ContainerEnvironment.Expand(["echo", "$(A)"], env));
    }

    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop", Uid = "uid-1", Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { NodeName = "node1", Containers = [] },
    };
}
