using System.Net;
using System.Net.WebSockets;
using System.Text;
using Strata.Agent.Runtime;
using Strata.Agent.Server;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Server;

/// <summary>The server on its own (no API server, no kubectl, no root): options, and what stopping it ends.</summary>
public sealed class KubeletServerLifecycleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-t-kubelet-life-").FullName;
    private readonly TestLocator _locator = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(-1, "node1", "--port -1: must be between 0 and 65535")]
    [InlineData(65536, "node1", "--port 65536: must be between 0 and 65535")]
    [InlineData(10250, "not a name", "not a name: not a DNS name for the kubelet's serving certificate")]
    public async Task Bad_options_are_refused_before_anything_listens(int port, string name, string message)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => KubeletServer.StartAsync(new KubeletServerOptions { Port = port, DnsNames = [name] }, _locator));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Stopping_the_server_ends_followed_logs_and_kills_running_execs()
    {
        var log = Path.Combine(_directory, "0.log");
        File.WriteAllText(log, "hello\n");
        _locator.Set("default", "pod", "app", new ContainerLocation(log, null, true, NamespacePaths.Current, ["PATH=/usr/bin:/bin"], null));
        var server = await KubeletServer.StartAsync(new KubeletServerOptions { Address = IPAddress.Loopback, Port = 0 }, _locator);
        var stopped = false;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject.StartsWith("CN=127.0.0.1@", StringComparison.Ordinal) == true } });
            using var follow = await http.GetAsync($"https://127.0.0.1:{server.Port}/containerLogs/default/pod/app?follow=true", HttpCompletionOption.ResponseHeadersRead);
            var body = await follow.Content.ReadAsStreamAsync();
            var first = new byte[6];
            await body.ReadExactlyAsync(first);
            Assert.Equal("hello\n", Encoding.ASCII.GetString(first));

            var pidFile = Path.Combine(_directory, "pid");
            using var socket = new ClientWebSocket();
            socket.Options.AddSubProtocol("v5.channel.k8s.io");
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject.StartsWith("CN=127.0.0.1@", StringComparison.Ordinal) == true;
            var command = string.Join('&', new[] { "sh", "-c", $"echo $$ > {pidFile}; exec sleep 600" }.Select(c => "command=" + Uri.EscapeDataString(c)));
            await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{server.Port}/exec/default/pod/app?{command}&output=1"), CancellationToken.None);
            await ControlPlane.EventuallyAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n')), "the exec'd shell to write its pid");
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            await server.DisposeAsync();
            stopped = true;
            var rest = await new StreamReader(body).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("", rest);
            await ControlPlane.EventuallyAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), $"the exec'd sleep (pid {pid}) to be killed");
        }
        finally
        {
            if (!stopped)
            {
                await server.DisposeAsync();
            }
        }
    }
}
