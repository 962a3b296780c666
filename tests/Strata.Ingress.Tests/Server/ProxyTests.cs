using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Ingress.Configuration;
using Strata.Ingress.Proxy;
using Strata.Ingress.Routing;
using Strata.Ingress.Tests.Configuration;
using Strata.Ingress.Tls;

namespace Strata.Ingress.Tests.Server;

/// <summary>
/// The proxy on loopback (ephemeral ports) in front of real Kestrel backends, driven with HttpClient and curl:
/// host and path routing, the default backend's 404, 503 without endpoints, SNI certificates, redirects, rewrites,
/// canaries, the allowlist, body size and the forwarded headers.
/// </summary>
public sealed class ProxyTests : IAsyncLifetime, IDisposable
{
    private const string Yaml = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: fanout}
        spec:
          rules:
          - host: foo.bar.com
            http:
              paths:
              - {path: /foo, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
              - {path: /bar, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
              - {path: /empty, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}
              - {path: /retry, pathType: Prefix, backend: {service: {name: flaky, port: {number: 80}}}}
          - host: "*.wild.com"
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: rewrite
          annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2, nginx.ingress.kubernetes.io/proxy-body-size: 1k}
        spec:
          rules:
          - host: rewrite.bar.com
            http:
              paths:
              - {path: /something(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: approot
          annotations: {nginx.ingress.kubernetes.io/app-root: /app1, nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8"}
        spec:
          rules:
          - host: approot.bar.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: secure}
        spec:
          tls: [{hosts: [secure.example.com], secretName: secure-tls}]
          rules:
          - host: secure.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: stable}
        spec:
          rules:
          - host: canary.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: canary
          annotations: {nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-by-header: X-Canary, nginx.ingress.kubernetes.io/canary-weight: "0"}
        spec:
          rules:
          - host: canary.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: next, port: {number: 80}}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: broken
          annotations: {nginx.ingress.kubernetes.io/proxy-body-size: "lots"}
        spec:
          rules:
          - host: broken.bar.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec: {ports: [{name: http, port: 8080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: next}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: empty}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: flaky}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{port: {web}}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: api-1, labels: {kubernetes.io/service-name: api}}
        addressType: IPv4
        ports: [{name: http, port: {api}}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: next-1, labels: {kubernetes.io/service-name: next}}
        addressType: IPv4
        ports: [{port: {next}}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: empty-1, labels: {kubernetes.io/service-name: empty}}
        addressType: IPv4
        ports: [{port: 80}]
        endpoints: [{addresses: [127.0.0.9], conditions: {ready: false}}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: flaky-1, labels: {kubernetes.io/service-name: flaky}}
        addressType: IPv4
        ports: [{port: {web}}]
        endpoints: [{addresses: [127.0.0.1, 127.0.0.2]}]
        """;

    private readonly X509Certificate2 _fake = FakeCertificate.Create();
    private readonly X509Certificate2 _secure = SelfSigned("secure.example.com");
    private EchoBackend _web = null!;
    private EchoBackend _api = null!;
    private EchoBackend _next = null!;
    private IngressServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _web = await EchoBackend.StartAsync("web");
        _api = await EchoBackend.StartAsync("api");
        _next = await EchoBackend.StartAsync("next");
        _server = await IngressServer.StartAsync(new IngressListenOptions(IPAddress.Loopback, 0, 0), _fake, NullLoggerFactory.Instance);
        _server.Proxy.Update(BuildTable());
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    }

    public void Dispose()
    {
        _http.Dispose();
        _fake.Dispose();
        _secure.Dispose();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _web.DisposeAsync();
        await _api.DisposeAsync();
        await _next.DisposeAsync();
    }

    [Fact]
    public async Task HostAndPathPickTheService()
    {
        Assert.Equal(("web", "/foo/x?a=1"), Who(await GetAsync("foo.bar.com", "/foo/x?a=1")));
        Assert.Equal(("api", "/bar"), Who(await GetAsync("foo.bar.com", "/bar")));
        Assert.Equal(("api", "/y"), Who(await GetAsync("one.wild.com", "/y")));
        Assert.Equal(("web", "/foo"), Who(await GetAsync("FOO.bar.com:8080", "/foo")));
    }

    [Fact]
    public async Task UnmatchedRequestsGetTheDefaultBackendsNotFoundPage()
    {
        foreach (var (host, path) in new[] { ("foo.bar.com", "/foobar"), ("two.levels.wild.com", "/"), ("nobody.example", "/"), ("broken.bar.com", "/") })
        {
            using var response = await SendAsync(host, path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(NginxPages.For(404), await response.Content.ReadAsStringAsync());
            Assert.Contains("<center><h1>404 Not Found</h1></center>", NginxPages.For(404), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AServiceWithoutReadyEndpointsAnswers503()
    {
        using var response = await SendAsync("foo.bar.com", "/empty");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("503 Service Temporarily Unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointThatRefusesIsSkipped()
    {
        // flaky's slice lists 127.0.0.1 (the web backend) and 127.0.0.2 on a port where nothing listens.
        for (var i = 0; i < 6; i++)
        {
            using var response = await SendAsync("foo.bar.com", "/retry");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task TheForwardedHeadersAreIngressNginxs()
    {
        var echo = await GetAsync("foo.bar.com", "/foo", ("X-Forwarded-For", "1.2.3.4"), ("Proxy", "evil"));
        Assert.Equal("foo.bar.com", echo.Headers["host"]);
        Assert.Equal("127.0.0.1", echo.Headers["x-real-ip"]);
        Assert.Equal("127.0.0.1", echo.Headers["x-forwarded-for"]);
        Assert.Equal("1.2.3.4", echo.Headers["x-original-forwarded-for"]);
        Assert.Equal("foo.bar.com", echo.Headers["x-forwarded-host"]);
        Assert.Equal("http", echo.Headers["x-forwarded-proto"]);
        Assert.Equal("http", echo.Headers["x-scheme"]);
        Assert.Equal(_server.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), echo.Headers["x-forwarded-port"]);
        Assert.Matches("^[0-9a-f]{32}$", echo.Headers["x-request-id"]);
        Assert.False(echo.Headers.ContainsKey("proxy"));
    }

    [Fact]
    public async Task RewriteTargetUsesTheCaptureGroups()
    {
        Assert.Equal(("web", "/new/path?q=1"), Who(await GetAsync("rewrite.bar.com", "/something/new/path?q=1")));
        Assert.Equal(("web", "/"), Who(await GetAsync("rewrite.bar.com", "/something")));
    }

    [Fact]
    public async Task ProxyBodySizeAnswers413AboveTheLimit()
    {
        using var small = await SendAsync("rewrite.bar.com", "/something/", new string('a', 1024));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        using var large = await SendAsync("rewrite.bar.com", "/something/", new string('a', 1025));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    [Fact]
    public async Task AppRootRedirectsOnlyTheRootAndTheAllowlistRefusesLoopback()
    {
        using var root = await SendAsync("approot.bar.com", "/");
        Assert.Equal(HttpStatusCode.Found, root.StatusCode);
        Assert.Equal("http://approot.bar.com/app1", root.Headers.Location?.ToString());
        // 127.0.0.1 is outside whitelist-source-range 10.0.0.0/8.
        using var other = await SendAsync("approot.bar.com", "/app1");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Contains("403 Forbidden", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostWithTlsRedirectsHttpWith308()
    {
        using var response = await SendAsync("secure.example.com", "/login?next=%2F");
        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
        Assert.Equal($"https://secure.example.com:{_server.HttpsPort}/login?next=%2F", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task CanaryByHeader()
    {
        Assert.Equal("web", Who(await GetAsync("canary.example.com", "/")).Backend);
        Assert.Equal("next", Who(await GetAsync("canary.example.com", "/", ("X-Canary", "always"))).Backend);
        Assert.Equal("web", Who(await GetAsync("canary.example.com", "/", ("X-Canary", "never"))).Backend);
    }

    [Fact]
    public async Task SniChoosesTheSecretsCertificateAndElseTheFakeOne()
    {
        var (certificate, echo) = await GetTlsAsync("secure.example.com", "/x");
        Assert.Equal(_secure.Thumbprint, certificate.Thumbprint);
        Assert.Equal("web", echo.Backend);
        Assert.Equal("https", echo.Headers["x-forwarded-proto"]);

        var (other, _) = await GetTlsAsync("foo.bar.com", "/foo");
        Assert.Equal(_fake.Thumbprint, other.Thumbprint);
        Assert.Contains("CN=Kubernetes Ingress Controller Fake Certificate", other.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void CurlWithResolveGetsTheSecretsCertificateOverHttp2()
    {
        var (code, stdout, stderr) = Tool.Run("curl", "-sS", "-v", "-k", "--http2",
            "--resolve", $"secure.example.com:{_server.HttpsPort}:127.0.0.1", $"https://secure.example.com:{_server.HttpsPort}/curl");
        Assert.True(code == 0, stderr);
        Assert.Contains("subject: CN=secure.example.com", stderr, StringComparison.Ordinal);
        Assert.Contains("HTTP/2 200", stderr, StringComparison.Ordinal);
        Assert.Equal("/curl", JsonSerializer.Deserialize<Echo>(stdout)!.PathAndQuery);
    }

    [Fact]
    public async Task ANewTableTakesEffectWithoutARestart()
    {
        Assert.Equal("web", Who(await GetAsync("foo.bar.com", "/foo")).Backend);
        var yaml = Substitute(Yaml).Replace("{path: /foo, pathType: Prefix, backend: {service: {name: web", "{path: /foo, pathType: Prefix, backend: {service: {name: next", StringComparison.Ordinal);
        _server.Proxy.Update(GoldenTests.Build(yaml, SecureSecret()));
        Assert.Equal("next", Who(await GetAsync("foo.bar.com", "/foo")).Backend);
    }

    [Fact]
    public async Task WebSocketUpgradeIsForwarded()
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Host", "foo.bar.com");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_server.HttpPort}/foo/socket"), cancel.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello"), System.Net.WebSockets.WebSocketMessageType.Text, true, cancel.Token);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, cancel.Token);
        Assert.Equal("web: hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", cancel.Token);
    }

    private static (string Backend, string PathAndQuery) Who(Echo echo) => (echo.Backend, echo.PathAndQuery);

    private async Task<Echo> GetAsync(string host, string path, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(host, path, null, headers);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{host}{path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<Echo>(body)!;
    }

    private async Task<HttpResponseMessage> SendAsync(string host, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, $"http://127.0.0.1:{_server.HttpPort}{path}");
        request.Headers.Host = host;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.ASCII);
        }

        return await _http.SendAsync(request);
    }

    private async Task<(X509Certificate2 Certificate, Echo Echo)> GetTlsAsync(string host, string path)
    {
        X509Certificate2? seen = null;
        var port = _server.HttpsPort;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    // The certificate is self-signed: the test checks which one came instead of its chain.
                    seen = certificate is null ? null : new X509Certificate2(certificate);
                    return seen is not null;
                },
            },
        };
        using var client = new HttpClient(handler);
        var body = await client.GetStringAsync($"https://{host}:{port}{path}");
        return (seen!, JsonSerializer.Deserialize<Echo>(body)!);
    }

    private RouteTable BuildTable() => GoldenTests.Build(Substitute(Yaml), SecureSecret());

    private string Substitute(string yaml) => yaml
        .Replace("{web}", _web.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{api}", _api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{next}", _next.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private V1Secret SecureSecret() => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "kubernetes.io/tls",
        Metadata = new V1ObjectMeta { Name = "secure-tls", NamespaceProperty = "default" },
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(_secure.ExportCertificatePem()),
            ["tls.key"] = Encoding.ASCII.GetBytes(_secure.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem()),
        },
    };

    private static X509Certificate2 SelfSigned(string host)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
