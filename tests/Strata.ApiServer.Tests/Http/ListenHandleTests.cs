using System.Net;
using System.Net.Sockets;
using Strata.ApiServer.Hosting;

namespace Strata.ApiServer.Tests.Http;

/// <summary>
/// Serving on sockets opened elsewhere (<c>--listen-fd</c>): how the lab serves 172.19.0.2:6443 inside its namespaces
/// without adding anything to the host's namespace.
/// </summary>
public sealed class ListenHandleTests
{
    [Fact]
    public async Task The_server_serves_on_an_already_listening_socket()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var directory = Directory.CreateTempSubdirectory("strata-apiserver-fd-").FullName;
        try
        {
            await using var host = await ApiServerHost.StartAsync(new ApiServerOptions
            {
                DataDirectory = directory,
                Listen = [],
                ListenHandles = [(ulong)socket.Handle],
            });
            using var http = AdminHttpClient.Create(new Uri($"https://127.0.0.1:{port}"), host.Credentials.CaCertificate, host.Credentials.Token);
            Assert.Equal("ok", await http.GetStringAsync("/readyz"));
            Assert.Contains("\"kind\":\"NamespaceList\"", await http.GetStringAsync("/api/v1/namespaces"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [RootFact]
    public async Task A_socket_opened_inside_a_namespace_serves_clients_in_that_namespace()
    {
        using var scratch = ScratchNamespace.Create();
        scratch.Netlink.SetLinkUp("lo");
        using var socket = scratch.Namespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 6443));
            s.Listen();
            return s;
        });
        var directory = Directory.CreateTempSubdirectory("strata-apiserver-ns-").FullName;
        try
        {
            await using var host = await ApiServerHost.StartAsync(new ApiServerOptions
            {
                DataDirectory = directory,
                Listen = [],
                ListenHandles = [(ulong)socket.Handle],
            });
            var ca = Path.Combine(directory, "pki", "ca.crt");
            var (code, body, stderr) = await Task.Run(() => Tool.Run("ip", "netns", "exec", scratch.Name, "curl", "-sS", "--cacert", ca,
                "--resolve", "kubernetes:6443:127.0.0.1", "-H", $"Authorization: Bearer {host.Credentials.Token}", "https://kubernetes:6443/api/v1/namespaces/default"));
            Assert.True(code == 0, stderr);
            Assert.Contains("\"name\":\"default\"", body);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
