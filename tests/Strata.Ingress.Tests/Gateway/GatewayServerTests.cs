using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Ingress.Gateway;
using Strata.Ingress.Tests.Server;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// The Gateway data plane on loopback: Kestrel listeners on the ports a Gateway names, forwarding with YARP to real
/// Kestrel backends, driven with HttpClient: routing by host and path, header modifier and URL rewrite as the backend
/// sees them, redirects, weights, 404/500, SNI certificates on the HTTPS listener, and ports opened and closed live.
/// </summary>
public sealed class GatewayServerTests : IAsyncLifetime, IDisposable
{
    private EchoBackend _v1 = null!;
    private EchoBackend _v2 = null!;
    private GatewayServer _server = null!;
    private HttpClient _http = null!;
    private int _httpPort;
    private int _httpsPort;
    private string _crt = "";
    private string _key = "";

    public async Task InitializeAsync()
    {
        _v1 = await EchoBackend.StartAsync("v1");
        _v2 = await EchoBackend.StartAsync("v2");
        _httpPort = FreePort();
        _httpsPort = FreePort();
        (_crt, _key) = GatewayStatusTests.SelfSigned("secure.example.com");
        _server = new GatewayServer(IPAddress.Loopback, GatewayServer.CreateForwarder(), NullLoggerFactory.Instance);
        await _server.ApplyAsync(Build(Routes));
        Assert.Empty(_server.PortProblems);
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _v1.DisposeAsync();
        await _v2.DisposeAsync();
    }

    private const string Routes = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: default}
        spec:
          parentRefs: [{name: gw}]
          hostnames: ["*.example.com"]
          rules:
          - matches: [{path: {value: /v1}}]
            backendRefs: [{name: v1, port: 8080}]
          - matches: [{path: {value: /v2}}]
            filters:
            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Set, value: set}], add: [{name: X-Add, value: added}], remove: [X-Remove]}}
            - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-Response, value: from-gateway}]}}
            backendRefs: [{name: v2, port: 8080}]
          - matches: [{path: {value: /old}}]
            filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]
            backendRefs: [{name: v1, port: 8080}]
          - matches: [{path: {value: /moved}}]
            filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
          - matches: [{path: {value: /split}}]
            backendRefs: [{name: v1, port: 8080, weight: 1}, {name: v2, port: 8080, weight: 1}]
          - matches: [{path: {value: /broken}}]
            backendRefs: [{name: missing, port: 8080}]
        """;

    [Fact]
    public async Task Routes_by_host_and_path_to_the_backends()
    {
        Assert.Equal("v1", (await GetEchoAsync("a.example.com", "/v1/x?q=1")).Backend);
        Assert.Equal("/v1/x?q=1", (await GetEchoAsync("a.b.example.com", "/v1/x?q=1")).PathAndQuery);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("example.com", "/v1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("a.example.com", "/nothing")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync("a.example.com", "/broken")).StatusCode);
    }

    [Fact]
    public async Task Filters_change_what_the_backend_and_the_client_see()
    {
        using var response = await SendAsync("a.example.com", "/v2", ("X-Set", "original"), ("X-Add", "first"), ("X-Remove", "gone"));
        var echo = JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("v2", echo.Backend);
        Assert.Equal("set", echo.Headers["x-set"]);
        Assert.Equal("first,added", echo.Headers["x-add"]);
        Assert.False(echo.Headers.ContainsKey("x-remove"));
        Assert.Equal("a.example.com", echo.Headers["host"]);
        Assert.Equal("127.0.0.1", echo.Headers["x-forwarded-for"]);
        Assert.Equal("from-gateway", response.Headers.GetValues("X-Response").Single());

        var rewritten = await GetEchoAsync("a.example.com", "/old/page");
        Assert.Equal("/new/page", rewritten.PathAndQuery);
        Assert.Equal("rewritten.example.org", rewritten.Headers["host"]);

        using var moved = await SendAsync("a.example.com:" + _httpPort, "/moved/here?x=1");
        Assert.Equal(HttpStatusCode.MovedPermanently, moved.StatusCode);
        Assert.Equal("https://a.example.com/moved/here?x=1", moved.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Equal_weights_reach_both_backends()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 60 && seen.Count < 2; i++)
        {
            seen.Add((await GetEchoAsync("a.example.com", "/split")).Backend);
        }

        Assert.Equal(["v1", "v2"], seen.Order());
    }

    [Fact]
    public async Task The_https_listener_serves_its_secrets_certificate_by_sni()
    {
        X509Certificate2? presented = null;
        using var https = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions =
            {
                TargetHost = "secure.example.com",
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    // Pinned to the Secret's self-signed certificate: the one the listener must present.
                    presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return presented?.Subject == "CN=secure.example.com";
                },
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{_httpsPort}/v1") { Headers = { Host = "secure.example.com" } };
        using var response = await https.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("v1", JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync())!.Backend);
        Assert.Equal("CN=secure.example.com", presented?.Subject);
        presented?.Dispose();
    }

    [Fact]
    public async Task A_new_configuration_opens_and_closes_ports_and_keeps_the_ones_that_stay()
    {
        var extra = FreePort();
        await _server.ApplyAsync(Build(Routes, extraPort: extra));
        Assert.Equal("v1", (await GetEchoAsync("a.example.com", "/v1", extra)).Backend);
        Assert.Equal("v1", (await GetEchoAsync("a.example.com", "/v1")).Backend);

        await _server.ApplyAsync(Build(Routes));
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync("a.example.com", "/v1", port: extra));
        Assert.Equal("v1", (await GetEchoAsync("a.example.com", "/v1")).Backend);
    }

    [Fact]
    public async Task A_port_in_use_is_reported_and_the_other_ports_serve()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await _server.ApplyAsync(Build(Routes, extraPort: taken));
        Assert.Contains(taken, _server.PortProblems.Keys);
        Assert.Equal("v1", (await GetEchoAsync("a.example.com", "/v1")).Backend);
    }

    private GatewayConfig Build(string routes, int? extraPort = null)
    {
        var extraListener = extraPort is { } p ? $"  - {{name: extra, port: {p}, protocol: HTTP}}\n" : "";
        var yaml = $$$"""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: strata}
            spec: {controllerName: strata.dev/gateway-controller}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: secure-tls}
            type: kubernetes.io/tls
            data: {tls.crt: {{{_crt}}}, tls.key: {{{_key}}}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: {{{_httpPort}}}, protocol: HTTP}
              - {name: https, port: {{{_httpsPort}}}, protocol: HTTPS, hostname: secure.example.com, tls: {certificateRefs: [{name: secure-tls}]}}
            {{{extraListener}}}---
            apiVersion: v1
            kind: Service
            metadata: {name: v1}
            spec: {ports: [{port: 8080}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: v2}
            spec: {ports: [{port: 8080}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: v1-1, labels: {kubernetes.io/service-name: v1}}
            addressType: IPv4
            ports: [{port: {{{_v1.Port}}}}]
            endpoints: [{addresses: [127.0.0.1]}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: v2-1, labels: {kubernetes.io/service-name: v2}}
            addressType: IPv4
            ports: [{port: {{{_v2.Port}}}}]
            endpoints: [{addresses: [127.0.0.1]}]
            ---

            """ + routes;
        var config = new GatewayConfigBuilder(GatewayConfigBuilder.DefaultControllerName, ["127.0.0.1"]).Build(GatewayManifest.Parse(yaml));
        Assert.All(config.Routes.Single().Parents, p => Assert.Equal("True", p.Conditions[0].Status));
        return config;
    }

    private async Task<HttpResponseMessage> SendAsync(string host, string path, params (string Name, string Value)[] headers) => await SendAsync(host, path, _httpPort, headers);

    private async Task<HttpResponseMessage> SendAsync(string host, string path, int port, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}") { Headers = { Host = host } };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _http.SendAsync(request);
    }

    private async Task<Echo> GetEchoAsync(string host, string path, int? port = null)
    {
        using var response = await SendAsync(host, path, port ?? _httpPort);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Echo>(await response.Content.ReadAsStringAsync())!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
