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

    public IKubeClient Client => new RegistryKubeClient(Server.Host.Registry);

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

    /// <summary>A node as a kubelet registers it: created, then its status (addresses, capacity, Ready) written.</summary>
    public async Task<V1Node> AddNodeAsync(string name, string internalIp, bool ready = true, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null)
    {
        var node = await Client.CreateAsync(new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            Spec = new V1NodeSpec { Taints = taints },
        });
        return await SetNodeReadyAsync(node, ready, internalIp);
    }

    /// <summary>Writes the node's status as its kubelet would, re-reading on a conflict (a controller may have updated the node meanwhile).</summary>
    public async Task<V1Node> SetNodeReadyAsync(V1Node node, bool ready, string? internalIp = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TrySetNodeReadyAsync(node.Metadata.Name, ready, internalIp);
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < 20)
            {
            }
        }
    }

    private async Task<V1Node> TrySetNodeReadyAsync(string name, bool ready, string? internalIp)
    {
        var node = await Client.GetAsync<V1Node>(null, name) ?? throw new InvalidOperationException($"node {name} is gone");
        var capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") };
        node.Status ??= new V1NodeStatus();
        if (internalIp is not null)
        {
            node.Status.Addresses = [new V1NodeAddress { Type = "InternalIP", Address = internalIp }, new V1NodeAddress { Type = "Hostname", Address = node.Metadata.Name }];
        }

        node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False", Reason = ready ? "KubeletReady" : "KubeletNotReady" }];
        node.Status.Allocatable ??= capacity;
        node.Status.Capacity ??= capacity;
        return await Client.UpdateStatusAsync(node);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
