using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Strata.Agent.Agnhost;

namespace Strata.Agent.Tests.Agnhost;

/// <summary>netexec in-process on loopback (ports chosen by the kernel), each endpoint asked over real sockets.</summary>
public sealed class NetexecServerTests : IAsyncLifetime, IDisposable
{
    private readonly StringWriter _log = new();
    private Microsoft.Extensions.Logging.ILoggerFactory _loggers = null!;
    private NetexecServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _loggers = AgnhostLogging.Create(TextWriter.Synchronized(_log));
        _server = await NetexecServer.StartAsync(
            new NetexecOptions { HttpPort = 0, HttpAddress = IPAddress.Loopback, UdpPort = 0, UdpListenAddresses = "127.0.0.1" }, _loggers);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.HttpPort}") };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _loggers.Dispose();
    }

    public void Dispose()
    {
        _http.Dispose();
        _log.Dispose();
    }

    [Fact]
    public async Task Root_prints_the_time_and_unknown_paths_get_the_root()
    {
        Assert.Matches(@"^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+ m=\+\d+\.\d{9}$", await _http.GetStringAsync("/"));
        Assert.StartsWith("NOW: ", await _http.GetStringAsync("/no/such/path"), StringComparison.Ordinal);
        Assert.Matches(@"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d GET /\n", _log.ToString());
    }

    [Fact]
    public async Task Echo_returns_the_message_with_the_given_code()
    {
        Assert.Equal("hello world", await _http.GetStringAsync("/echo?msg=hello%20world"));
        using var created = await _http.GetAsync("/echo?msg=made&code=201");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("made", await created.Content.ReadAsStringAsync());
        Assert.Equal("argument 'code' must be an integer or empty, got \"x\"\n", await _http.GetStringAsync("/echo?msg=m&code=x"));
    }

    [Fact]
    public async Task Clientip_is_the_callers_address_and_port()
    {
        int localPort = 0;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, _server.HttpPort, cancellationToken);
                localPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = _http.BaseAddress };
        string clientIp = await client.GetStringAsync("/clientip");
        Assert.Equal($"127.0.0.1:{localPort}", clientIp);
    }

    [Fact]
    public async Task Hostname_header_healthz_readyz()
    {
        Assert.Equal(System.Net.Dns.GetHostName(), await _http.GetStringAsync("/hostname"));
        Assert.Equal(System.Net.Dns.GetHostName(), await _http.GetStringAsync("/hostName"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/header?key=X-Strata");
        request.Headers.Add("X-Strata", "yes");
        using var header = await _http.SendAsync(request);
        Assert.Equal("yes", await header.Content.ReadAsStringAsync());

        using var all = new HttpRequestMessage(HttpMethod.Get, "/header");
        all.Headers.Add("x-strata-test", "1");
        using var allResponse = await _http.SendAsync(all);
        var headers = JsonDocument.Parse(await allResponse.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("1", headers.GetProperty("X-Strata-Test")[0].GetString());

        using var healthz = await _http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal("ok", await _http.GetStringAsync("/readyz"));
        _server.MarkTerminating();
        using var readyz = await _http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Equal("shutting down", await readyz.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Dial_itself_over_http_and_udp()
    {
        string http = await _http.GetStringAsync($"/dial?request=hostname&protocol=http&host=127.0.0.1&port={_server.HttpPort}&tries=3");
        Assert.Equal($"{{\"responses\":[\"{Host}\",\"{Host}\",\"{Host}\"]}}", http);

        string udp = await _http.GetStringAsync($"/dial?request=hostname&protocol=udp&host=127.0.0.1&port={_server.UdpPort}&tries=2");
        Assert.Equal($"{{\"responses\":[\"{Host}\",\"{Host}\"]}}", udp);

        string echo = await _http.GetStringAsync($"/dial?request=echo%20Hello%20There&protocol=udp&host=localhost&port={_server.UdpPort}");
        Assert.Equal("{\"responses\":[\"hello there\"]}", echo);

        string clientIp = await _http.GetStringAsync($"/dial?request=clientip&protocol=udp&host=127.0.0.1&port={_server.UdpPort}");
        Assert.Matches(@"^\{""responses"":\[""127\.0\.0\.1:\d+""\]\}$", clientIp);
    }

    [Fact]
    public async Task Dial_reports_failures_as_upstream()
    {
        int closed = ClosedTcpPort();
        string refused = await _http.GetStringAsync($"/dial?request=hostname&host=127.0.0.1&port={closed}");
        Assert.Equal(
            $"{{\"errors\":[\"Get \\\"http://127.0.0.1:{closed}/hostname\\\": dial tcp 127.0.0.1:{closed}: connect: connection refused\"]}}",
            refused);

        using var noRequest = await _http.GetAsync("/dial?host=127.0.0.1&port=1");
        Assert.Equal(HttpStatusCode.BadRequest, noRequest.StatusCode);
        Assert.Equal("request parameter not specified. <nil>\n", await noRequest.Content.ReadAsStringAsync());

        using var badProtocol = await _http.GetAsync("/dial?request=x&protocol=icmp&host=127.0.0.1&port=1");
        Assert.Equal(HttpStatusCode.BadRequest, badProtocol.StatusCode);
        Assert.Equal("unsupported protocol. icmp\n", await badProtocol.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Shell_runs_the_command_with_combined_output()
    {
        Assert.Equal("{\"output\":\"out\\nerr\\n\"}", await _http.GetStringAsync("/shell?cmd=" + Uri.EscapeDataString("echo out; echo err >&2")));
        Assert.Equal("{\"error\":\"exit status 3\",\"output\":\"a\\u003cb\\n\"}", await _http.GetStringAsync("/shell?shellCommand=" + Uri.EscapeDataString("echo 'a<b'; exit 3")));
    }

    [Fact]
    public async Task Redirect_and_exit()
    {
        using var noFollow = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = _http.BaseAddress };
        using var redirect = await noFollow.GetAsync("/redirect?location=/echo%3Fmsg%3Dx&code=307");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        Assert.Equal("/echo?msg=x", redirect.Headers.Location!.OriginalString);

        Assert.False(_server.ExitRequested.IsCompleted);
        using var exit = await _http.GetAsync("/exit?code=7&timeout=2s");
        var request = await _server.ExitRequested.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new ExitRequest(7, TimeSpan.FromSeconds(2)), request);
    }

    [Fact]
    public async Task Udp_server_answers_datagrams()
    {
        using var socket = new UdpClient();
        socket.Connect(IPAddress.Loopback, _server.UdpPort);
        await socket.SendAsync(Encoding.ASCII.GetBytes("  HOSTNAME \n"));
        var answer = await socket.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Host, Encoding.UTF8.GetString(answer.Buffer));

        await socket.SendAsync(Encoding.ASCII.GetBytes("clientip"));
        answer = await socket.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal($"127.0.0.1:{((IPEndPoint)socket.Client.LocalEndPoint!).Port}", Encoding.UTF8.GetString(answer.Buffer));
    }

    private static string Host => System.Net.Dns.GetHostName();

    private static int ClosedTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
