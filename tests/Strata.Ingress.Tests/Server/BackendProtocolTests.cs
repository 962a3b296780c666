using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Ingress.Proxy;
using Strata.Ingress.Configuration;
using Strata.Ingress.Tls;

namespace Strata.Ingress.Tests.Server;

/// <summary>
/// The annotation nginx.ingress.kubernetes.io/backend-protocol with real upstreams: HTTPS (TLS to a self-signed
/// backend, accepted as ingress-nginx's proxy_ssl_verify off does), GRPC (h2c, prior knowledge) and GRPCS (HTTP/2 over
/// TLS), the gRPC calls made by Grpc.Net.Client through the proxy's HTTPS port (HTTP/2 by ALPN).
/// </summary>
public sealed class BackendProtocolTests : IAsyncLifetime, IDisposable
{
    private const string Yaml = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: secure-upstream
          annotations: {nginx.ingress.kubernetes.io/backend-protocol: HTTPS}
        spec:
          rules:
          - host: https.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: tls-web, port: {number: 443}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: plain-to-tls}
        spec:
          rules:
          - host: plain.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: tls-web, port: {number: 443}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: grpc
          annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPC}
        spec:
          tls: [{hosts: [grpc.example.com]}]
          rules:
          - host: grpc.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: greeter, port: {name: grpc}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: grpcs
          annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPCS}
        spec:
          tls: [{hosts: [grpcs.example.com]}]
          rules:
          - host: grpcs.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: greeter-tls, port: {number: 443}}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: tls-web}
        spec: {ports: [{port: 443}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: greeter}
        spec: {ports: [{name: grpc, port: 50051}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: greeter-tls}
        spec: {ports: [{port: 443}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: tls-web-1, labels: {kubernetes.io/service-name: tls-web}}
        addressType: IPv4
        ports: [{port: {https}}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: greeter-1, labels: {kubernetes.io/service-name: greeter}}
        addressType: IPv4
        ports: [{name: grpc, port: {h2c}}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: greeter-tls-1, labels: {kubernetes.io/service-name: greeter-tls}}
        addressType: IPv4
        ports: [{port: {h2tls}}]
        endpoints: [{addresses: [127.0.0.1]}]
        """;

    private static readonly Method<string, string> SayHello = new(MethodType.Unary, "strata.test.Greeter", "SayHello",
        Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString), Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString));

    private static readonly Method<string, string> Unknown = new(MethodType.Unary, "strata.test.Greeter", "Missing",
        Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString), Marshallers.Create(Encoding.UTF8.GetBytes, Encoding.UTF8.GetString));

    private readonly X509Certificate2 _fake = FakeCertificate.Create();
    private ProtocolBackend _https = null!;
    private ProtocolBackend _h2c = null!;
    private ProtocolBackend _h2tls = null!;
    private IngressServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _https = await ProtocolBackend.StartAsync("tls-web", BackendListener.Https);
        _h2c = await ProtocolBackend.StartAsync("greeter", BackendListener.H2c);
        _h2tls = await ProtocolBackend.StartAsync("greeter-tls", BackendListener.H2Tls);
        _server = await IngressServer.StartAsync(new IngressListenOptions(IPAddress.Loopback, 0, 0), _fake, NullLoggerFactory.Instance);
        _server.Proxy.Update(new RouteTableBuilder(new IngressClassIdentity(), _fake).Build(ManifestState.Parse(Yaml
            .Replace("{https}", Text(_https.Port), StringComparison.Ordinal)
            .Replace("{h2c}", Text(_h2c.Port), StringComparison.Ordinal)
            .Replace("{h2tls}", Text(_h2tls.Port), StringComparison.Ordinal))));
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    }

    public void Dispose()
    {
        _http.Dispose();
        _fake.Dispose();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _https.DisposeAsync();
        await _h2c.DisposeAsync();
        await _h2tls.DisposeAsync();
    }

    [Fact]
    public async Task HttpsBackendIsReachedOverTlsDespiteItsSelfSignedCertificate()
    {
        var (status, body) = await GetAsync("https.example.com", "/hello");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tls-web HTTP/1.1 https /hello", body);
    }

    [Fact]
    public async Task WithoutTheAnnotationPlainHttpToATlsPortIsABadGateway()
    {
        var (status, body) = await GetAsync("plain.example.com", "/hello");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Contains("502 Bad Gateway", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcUnaryCallGoesThroughTheHttpsFrontToAnH2cBackend()
    {
        using var channel = Channel("grpc.example.com");
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(SayHello, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), "strata");
        Assert.Equal("hello strata via HTTP/2", reply);
    }

    [Fact]
    public async Task GrpcsUnaryCallReachesATlsHttp2Backend()
    {
        using var channel = Channel("grpcs.example.com");
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(SayHello, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), "secure");
        Assert.Equal("hello secure via HTTP/2 tls", reply);
    }

    [Fact]
    public async Task TheBackendsGrpcStatusComesBackThroughTheTrailers()
    {
        using var channel = Channel("grpc.example.com");
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(Unknown, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), "x"));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown method /strata.test.Greeter/Missing", error.Status.Detail);
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A gRPC channel to a host name of the proxy's HTTPS port (connected to 127.0.0.1, SNI the host), trusting the fake certificate only.</summary>
    private GrpcChannel Channel(string host)
    {
        var port = _server.HttpsPort;
        var fake = _fake.Thumbprint;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && new X509Certificate2(certificate).Thumbprint == fake },
        };
        return GrpcChannel.ForAddress($"https://{host}:{Text(port)}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Text(_server.HttpPort)}{path}");
        request.Headers.Host = host;
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
