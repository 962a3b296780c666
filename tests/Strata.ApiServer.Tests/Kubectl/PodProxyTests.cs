using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Kubectl;

/// <summary><c>kubectl logs</c> and <c>kubectl exec</c> go through the API server to the kubelet of the pod's node.</summary>
public sealed class PodProxyTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private FakeKubelet _kubelet = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _kubelet = await FakeKubelet.StartAsync();
        _server.KubectlStdin($$"""
            apiVersion: v1
            kind: Node
            metadata: {name: node1}
            status:
              addresses: [{type: InternalIP, address: 127.0.0.1}, {type: Hostname, address: node1}]
              daemonEndpoints:
                kubeletEndpoint:
                  Port: {{_kubelet.Port}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1}
            spec:
              nodeName: node1
              containers: [{name: nginx, image: nginx}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pending}
            spec:
              containers: [{name: a, image: nginx}, {name: b, image: nginx}]
            """, "create", "-f", "-");
    }

    public async Task DisposeAsync()
    {
        await _kubelet.DisposeAsync();
        await _server.DisposeAsync();
    }

    [KubectlFact]
    public void Logs_are_read_from_the_kubelet_of_the_pods_node()
    {
        Assert.Equal("line 1\nline 2\n", _server.KubectlOk("logs", "web-1", "--tail=2"));
        var (path, authorization) = _kubelet.Requests.Last();
        Assert.Equal("/containerLogs/default/web-1/nginx?tailLines=2", path);
        Assert.Equal($"Bearer {_server.Host.Credentials.Token}", authorization);
    }

    [KubectlFact]
    public void Exec_streams_through_to_the_kubelet()
    {
        Assert.Equal("hello world\n", _server.KubectlOk("exec", "web-1", "--", "echo", "hello", "world"));
        Assert.StartsWith("/exec/default/web-1/nginx?command=echo&command=hello&command=world&output=1", _kubelet.Requests.Last().PathAndQuery);
    }

    [KubectlFact]
    public void Pods_without_a_node_or_with_an_ambiguous_container_get_upstreams_errors()
    {
        var (code, _, stderr) = _server.Kubectl("logs", "pending", "-c", "a");
        Assert.Equal(1, code);
        Assert.Contains("pod pending does not have a host assigned", stderr);

        (code, _, stderr) = _server.Kubectl("get", "--raw", "/api/v1/namespaces/default/pods/pending/log");
        Assert.Equal(1, code);
        Assert.Contains("a container name must be specified for pod pending, choose one of: [a b]", stderr);
    }
}

/// <summary>The lab's API server runs on the host and reaches its nodes' kubelets only through the lab's underlay namespace.</summary>
public sealed class KubeletNamespaceTests
{
    [RootFact]
    public async Task Kubelets_are_dialled_from_the_namespace_given_with_kubelet_netns()
    {
        using var lab = ScratchNamespace.Create();
        Tool.Ip(lab.Name, "link", "set", "lo", "up");
        await using var kubelet = await FakeKubelet.StartAsync(lab.Namespace);
        await using var server = await TestApiServer.StartAsync(new ApiServerOptions { KubeletNetworkNamespace = lab.Name });
        server.KubectlStdin($$$"""
            apiVersion: v1
            kind: Node
            metadata: {name: node1}
            status:
              addresses: [{type: InternalIP, address: 127.0.0.1}]
              daemonEndpoints: {kubeletEndpoint: {Port: {{{kubelet.Port}}}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1}
            spec: {nodeName: node1, containers: [{name: nginx, image: nginx}]}
            """, "create", "-f", "-");

        Assert.Equal("line 1\nline 2\n", server.KubectlOk("logs", "web-1"));
        Assert.Equal("in the lab\n", server.KubectlOk("exec", "web-1", "--", "echo", "in", "the", "lab"));
        // Nothing listens on that port on the host's own loopback.
        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(System.Net.IPAddress.Loopback, kubelet.Port));
    }

    [Fact]
    public void A_kubelet_netns_that_does_not_exist_is_refused_at_start()
    {
        var error = Assert.Throws<ArgumentException>(() => new ApiServerOptions { KubeletNetworkNamespace = "strata-t-nonexistent" }.Validate());
        Assert.Equal("--kubelet-netns strata-t-nonexistent: no such network namespace", error.Message);
    }
}
