using k8s.Models;
using Strata.ApiServer.Hosting;
using Strata.Netlink;

namespace Strata.Lab.Tests;

public sealed class LabAddonsTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: kube-flannel
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: kube-flannel-cfg
          namespace: kube-flannel
        data:
          net-conf.json: |
            {"Network": "${CLUSTER_CIDR}", "Backend": {"Type": "${BACKEND}"}}
          dns: "${CLUSTER_DNS} ${CLUSTER_DOMAIN} ${SERVICE_CIDR} ${PROXY_MODE}"
        """;

    private static readonly LabSpec Spec = new()
    {
        Nodes = [],
        StateDirectory = "/var/lib/strata/lab/t",
        Backend = "host-gw",
        ClusterCidr = IpPrefix.Parse("10.244.0.0/16"),
    };

    [Fact]
    public void TokensBecomeTheLabsSettings()
    {
        var objects = LabAddons.Parse("t.yaml", LabAddons.Render(new AddonManifest("t.yaml", Manifest), LabAddons.Tokens(Spec)));
        Assert.Equal(["Namespace", "ConfigMap"], objects.Select(o => o.Kind));
        var config = Assert.IsType<V1ConfigMap>(objects[1]);
        Assert.Equal("{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"host-gw\"}}\n", config.Data["net-conf.json"]);
        Assert.Equal("10.233.0.3 cluster.local 10.233.0.0/18 iptables", config.Data["dns"]);
    }

    [Theory]
    [InlineData("kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\ndata:\n  a: ${NETWORK}\n",
        "addon bad.yaml, line 6: unknown token ${NETWORK} (known: CLUSTER_CIDR, SERVICE_CIDR, CLUSTER_DNS, CLUSTER_DOMAIN, BACKEND, PROXY_MODE, LOAD_BALANCER_POOL)")]
    [InlineData("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
        "addon bad.yaml, document 1: kind Pod is not one the lab applies (Namespace, ConfigMap, ServiceAccount, Service, DaemonSet, Deployment, IngressClass, CustomResourceDefinition, GatewayClass)")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n", "addon bad.yaml, document 1: not a Kubernetes object with metadata.name")]
    public void BadManifestsAreNamedByFileAndPlace(string text, string message)
    {
        var e = Assert.Throws<LabException>(() => LabAddons.Parse("bad.yaml", LabAddons.Render(new AddonManifest("bad.yaml", text), LabAddons.Tokens(Spec))));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void BrokenYamlIsNamedByFile()
    {
        var e = Assert.Throws<LabException>(() => LabAddons.Parse("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n"));
        Assert.StartsWith("addon bad.yaml: ", e.Message);
    }

    [Fact]
    public void EveryBuiltInAddonRendersAndParses()
    {
        foreach (var addon in LabAddons.BuiltIn)
        {
            Assert.NotEmpty(LabAddons.Parse(addon.File, LabAddons.Render(addon, LabAddons.Tokens(Spec))));
        }
    }

    [Fact]
    public async Task ApplyCreatesThenReplaces()
    {
        await using var server = await TestApiServer.StartAsync();
        var client = new RegistryKubeClient(server.Host.Registry);
        var tokens = LabAddons.Tokens(Spec);
        await LabAddons.ApplyAsync(client, "t.yaml", LabAddons.Parse("t.yaml", LabAddons.Render(new AddonManifest("t.yaml", Manifest), tokens)));
        var changed = Manifest.Replace("${BACKEND}", "vxlan", StringComparison.Ordinal);
        await LabAddons.ApplyAsync(client, "t.yaml", LabAddons.Parse("t.yaml", LabAddons.Render(new AddonManifest("t.yaml", changed), tokens)));

        var config = await client.GetAsync<V1ConfigMap>("kube-flannel", "kube-flannel-cfg");
        Assert.Contains("\"Type\": \"vxlan\"", config!.Data["net-conf.json"]);
        Assert.NotNull(await client.GetAsync<V1Namespace>(null, "kube-flannel"));
    }

    [Fact]
    public async Task TheGatewayApiCrdsApplyBeforeTheGatewayClassStrata()
    {
        var files = LabAddons.BuiltIn.Select(a => a.File).ToList();
        var crds = files.Where(f => f.StartsWith("gateway-api-crds-", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, crds.Count);
        Assert.All(crds, f => Assert.True(files.IndexOf(f) < files.IndexOf("strata-gateway.yaml"), f));

        await using var server = await TestApiServer.StartAsync();
        var client = new RegistryKubeClient(server.Host.Registry);
        var tokens = LabAddons.Tokens(Spec);
        foreach (var addon in LabAddons.BuiltIn.Where(a => a.File.StartsWith("gateway-api-crds-", StringComparison.Ordinal) || a.File == "strata-gateway.yaml"))
        {
            await LabAddons.ApplyAsync(client, addon.File, LabAddons.Parse(addon.File, LabAddons.Render(addon, tokens)));
        }

        var gatewayClass = await client.GetAsync<Strata.Controllers.GatewayApi.V1GatewayClass>(null, "strata");
        Assert.Equal("strata.dev/gateway-controller", gatewayClass!.Spec.ControllerName);
        Assert.NotNull(await client.GetAsync<V1CustomResourceDefinition>(null, "httproutes.gateway.networking.k8s.io"));
    }
}
