using k8s.Models;
using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class ServiceEnvironmentTests
{
    private static readonly PodRuntimeFacts Facts = new("10.233.64.7", ["10.233.64.7"], "172.19.0.8", "web");

    private static V1Service Service(string ns, string name, string clusterIp, params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec { ClusterIP = clusterIp, Ports = ports },
    };

    private static V1Pod Pod(string ns, bool? links = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = ns },
        Spec = new V1PodSpec { EnableServiceLinks = links, Containers = [new V1Container { Name = "c" }] },
    };

    private static readonly V1Service Kubernetes = Service("default", "kubernetes", "10.233.0.1", new V1ServicePort { Name = "https", Port = 443, Protocol = "TCP" });

    [Fact]
    public void TheDocumentedRedisMasterExample()
    {
        // kubernetes.io/docs/concepts/services-networking/service/#environment-variables
        var redis = Service("default", "redis-master", "10.0.0.11", new V1ServicePort { Port = 6379, Protocol = "TCP" });
        Assert.Equal(
            [
                "REDIS_MASTER_SERVICE_HOST=10.0.0.11",
                "REDIS_MASTER_SERVICE_PORT=6379",
                "REDIS_MASTER_PORT=tcp://10.0.0.11:6379",
                "REDIS_MASTER_PORT_6379_TCP=tcp://10.0.0.11:6379",
                "REDIS_MASTER_PORT_6379_TCP_PROTO=tcp",
                "REDIS_MASTER_PORT_6379_TCP_PORT=6379",
                "REDIS_MASTER_PORT_6379_TCP_ADDR=10.0.0.11",
            ],
            ServiceEnvironment.ForPod(Pod("default"), [redis]).Select(v => $"{v.Key}={v.Value}"));
    }

    [Fact]
    public void NamedPortsAndProtocolsAndTheMasterService()
    {
        var dns = Service("kube-system", "kube-dns", "10.233.0.3",
            new V1ServicePort { Name = "dns", Port = 53, Protocol = "UDP" }, new V1ServicePort { Name = "dns-tcp", Port = 53, Protocol = "TCP" });
        var env = ServiceEnvironment.ForPod(Pod("kube-system"), [dns, Kubernetes, Service("default", "other", "10.233.0.9", new V1ServicePort { Port = 80 })])
            .ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("53", env["KUBE_DNS_SERVICE_PORT_DNS_TCP"]);
        Assert.Equal("udp://10.233.0.3:53", env["KUBE_DNS_PORT"]);
        Assert.Equal("udp", env["KUBE_DNS_PORT_53_UDP_PROTO"]);
        Assert.Equal("tcp://10.233.0.3:53", env["KUBE_DNS_PORT_53_TCP"]);
        Assert.Equal(("10.233.0.1", "443", "443"), (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"], env["KUBERNETES_SERVICE_PORT_HTTPS"]));
        Assert.DoesNotContain("OTHER_SERVICE_HOST", env.Keys);
    }

    [Fact]
    public void WithoutServiceLinksOnlyTheMasterServiceAndHeadlessServicesNever()
    {
        var mine = Service("apps", "api", "10.233.0.20", new V1ServicePort { Port = 8080 });
        var headless = Service("apps", "db", "None", new V1ServicePort { Port = 5432 });
        Assert.Equal(["API", "KUBERNETES"], Prefixes(ServiceEnvironment.ForPod(Pod("apps"), [mine, headless, Kubernetes])));
        Assert.Equal(["KUBERNETES"], Prefixes(ServiceEnvironment.ForPod(Pod("apps", links: false), [mine, headless, Kubernetes])));

        static IEnumerable<string> Prefixes(IReadOnlyList<KeyValuePair<string, string>> env) =>
            env.Where(v => v.Key.EndsWith("_SERVICE_HOST", StringComparison.Ordinal)).Select(v => v.Key[..^"_SERVICE_HOST".Length]);
    }

    [Fact]
    public void ANamespacesOwnKubernetesServiceWins()
    {
        var own = Service("apps", "kubernetes", "10.233.0.50", new V1ServicePort { Port = 80 });
        var env = ServiceEnvironment.ForPod(Pod("apps"), [Kubernetes, own]).ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("10.233.0.50", env["KUBERNETES_SERVICE_HOST"]);
    }

    [Fact]
    public void ContainerVariablesOverrideAndExpandFromServiceVariables()
    {
        var container = new V1Container
        {
            Name = "c",
            Env =
            [
                new V1EnvVar { Name = "KUBERNETES_SERVICE_HOST", Value = "api.example" },
                new V1EnvVar { Name = "API", Value = "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)" },
            ],
        };
        var env = ContainerEnvironment.Build(Pod("default"), container, Facts, [], ServiceEnvironment.ForPod(Pod("default"), [Kubernetes]));
        Assert.Equal(1, env.Count(e => e.StartsWith("KUBERNETES_SERVICE_HOST=", StringComparison.Ordinal)));
        Assert.Contains("KUBERNETES_SERVICE_HOST=api.example", env);
        Assert.Contains("API=https://api.example:443", env);
        Assert.Contains("KUBERNETES_PORT_443_TCP_ADDR=10.233.0.1", env);
    }
}
