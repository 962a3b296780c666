using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Agent.Agnhost;

namespace Strata.Agent.Tests.Agnhost;

public sealed class ServeHostnameServerTests
{
    [Fact]
    public async Task Http_answers_every_path_with_the_hostname()
    {
        await using var server = await ServeHostnameServer.StartAsync(new ServeHostnameOptions { Port = 0, Address = IPAddress.Loopback }, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}") };
        Assert.Equal(System.Net.Dns.GetHostName(), await http.GetStringAsync("/"));
        Assert.Equal(System.Net.Dns.GetHostName(), await http.GetStringAsync("/anything"));
    }

    [Fact]
    public async Task Close_asks_to_close_each_connection()
    {
        await using var server = await ServeHostnameServer.StartAsync(new ServeHostnameOptions { Port = 0, Address = IPAddress.Loopback, Close = true }, NullLoggerFactory.Instance);
        using var http = new HttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{server.HttpPort}/");
        Assert.True(response.Headers.ConnectionClose);
    }

    [Fact]
    public async Task Tcp_and_udp_answer_with_the_hostname()
    {
        await using var server = await ServeHostnameServer.StartAsync(
            new ServeHostnameOptions { Http = false, Tcp = true, Udp = true, Port = 0, Address = IPAddress.Loopback }, NullLoggerFactory.Instance);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.TcpPort);
            Assert.Equal(System.Net.Dns.GetHostName(), await new StreamReader(tcp.GetStream()).ReadToEndAsync());
        }

        using var udp = new UdpClient();
        udp.Connect(IPAddress.Loopback, server.UdpPort);
        await udp.SendAsync(Encoding.ASCII.GetBytes("anything at all, longer than sixteen bytes"));
        var answer = await udp.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(System.Net.Dns.GetHostName(), Encoding.UTF8.GetString(answer.Buffer));
    }

    [Fact]
    public async Task Http_with_tcp_or_udp_is_refused()
    {
        var error = await Assert.ThrowsAsync<AgnhostUsageException>(() =>
            ServeHostnameServer.StartAsync(new ServeHostnameOptions { Tcp = true, Port = 0 }, NullLoggerFactory.Instance));
        Assert.Equal("Can't server TCP/UDP mode and HTTP mode at the same time", error.Message);
    }
}
