using k8s;
using k8s.Models;
using Strata.ApiServer;
using Strata.ApiServer.Hosting;
using Strata.Controllers.Client;

namespace Strata.Controllers.Tests.Support;

/// <summary>
/// A real API server on loopback hosting the named controllers in-process, with the controllers' own client for
/// writing objects directly and the real kubectl for what users see.
/// </summary>
public sealed class ControlPlane : IAsyncDisposable
{
    private ControlPlane(TestApiServer server)
    {
        Server = server;
    }

    public TestApiServer Server { get; }

    public IKubeClient Client => new RegistryKubeClient(Server.Host.Registry, Server.Host.Tokens);

    public static Task<ControlPlane> StartAsync(params string[] controllers) => StartAsync(new ApiServerOptions(), controllers);

    /// <summary>As <see cref="StartAsync(string[])"/>, with other API server (and controller manager) settings.</summary>
    public static async Task<ControlPlane> StartAsync(ApiServerOptions options, params string[] controllers)
    {
        options.Controllers = [.. controllers];
        var server = await TestApiServer.StartAsync(options);
        var plane = new ControlPlane(server);
        if (server.Host.Controllers is { } manager)
        {
            await manager.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        return plane;
    }

    public (int ExitCode, string Stdout, string Stderr) Kubectl(params string[] args) => Server.Kubectl(args);

    public string KubectlOk(params string[] args) => Server.KubectlOk(args);

    public (int ExitCode, string Stdout, string Stderr) KubectlStdin(string stdin, params string[] args) => Server.KubectlStdin(stdin, args);

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls a read until it returns a value satisfying <paramref name="accept"/>, and returns it.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (accept(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; last: {KubernetesJson.Serialize(value)}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string? ns = null, string? labelSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        (await Client.ListAsync<T>(new ListRequest(ns, labelSelector))).Items;

    /// <summary>A node as a kubelet registers it (see <see cref="TestNodes"/>).</summary>
    /// <remarks>
    /// Returns once the hosted controllers' node cache shows the node as written, so that a pod created next is
    /// scheduled knowing every node (in a cluster, nodes exist long before the pods that spread over them).
    /// </remarks>
    public async Task<V1Node> AddNodeAsync(string name, string internalIp, bool ready = true, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null) =>
        await SeenAsync(await TestNodes.AddAsync(Client, name, internalIp, ready, labels, taints));

    public async Task<V1Node> SetNodeReadyAsync(V1Node node, bool ready, string? internalIp = null) =>
        await SeenAsync(await TestNodes.SetReadyAsync(Client, node, ready, internalIp));

    private async Task<V1Node> SeenAsync(V1Node node)
    {
        if (Server.Host.Controllers?.Informers.Find<V1Node>() is { } nodes)
        {
            var written = long.Parse(node.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
            await EventuallyAsync(
                () => Task.FromResult(nodes.Get(node.Metadata.Name) is { } seen
                    && long.Parse(seen.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) >= written),
                $"the controllers to see node {node.Metadata.Name}");
        }

        return node;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
