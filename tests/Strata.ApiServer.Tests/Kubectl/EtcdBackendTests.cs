using System.Text.Json.Nodes;
using Strata.ApiServer.Storage;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Kubectl;

/// <summary>The same API on the etcd backend (<c>strata apiserver --etcd-servers</c>): kubectl's view does not change.</summary>
public sealed class EtcdBackendTests
{
    private static readonly string Seed = Path.Combine(AppContext.BaseDirectory, "Kubectl", "testdata", "seed.yaml");

    [EtcdFact]
    public async Task Kubectl_applies_gets_and_deletes_with_objects_kept_in_etcd_across_a_restart()
    {
        await using var etcd = await LocalEtcd.StartAsync();
        await using var server = await TestApiServer.StartAsync(new ApiServerOptions { EtcdServers = etcd.Endpoint });
        Assert.IsType<WatchCache>(server.Host.Store);

        if (KubectlFactAttribute.KubectlAvailable)
        {
            server.KubectlOk("apply", "-f", Seed);
            Assert.Equal("kubia-nodeport 80:30123/TCP", server.KubectlOk("get", "svc", "kubia-nodeport", "-o", "jsonpath={.metadata.name} {.spec.ports[0].port}:{.spec.ports[0].nodePort}/{.spec.ports[0].protocol}"));
        }
        else
        {
            await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "kubia" } });
        }

        var (_, list) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services");
        var rv = (string)list["metadata"]!["resourceVersion"]!;
        await etcd.RestartAsync();
        await server.RestartAsync();
        var (_, after) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services");
        Assert.Equal(list["items"]!.AsArray().Count, after["items"]!.AsArray().Count);
        Assert.Equal(rv, (string?)after["metadata"]!["resourceVersion"]);

        var (status, error) = await server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/services/nope");
        Assert.Equal(404, status);
        Assert.Equal("services \"nope\" not found", (string?)error["message"]);
    }
}
