using System.Globalization;
using System.Net;
using System.Net.Security;
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
using Strata.Ingress.Tls;

namespace Strata.Ingress.Tests.Conformance;

/// <summary>What the client saw (ingress-controller-conformance test/http CapturedResponse).</summary>
public sealed record CapturedResponse(int StatusCode, string Proto, Dictionary<string, string[]> Headers, string? TlsHostname, X509Certificate2? Certificate);

/// <summary>One round trip: the response, and the request as the echo pod received it (null when the body was not an echo).</summary>
public sealed record RoundTrip(CapturedResponse Response, CapturedRequest? Request);

/// <summary>
/// The steps of ingress-controller-conformance, played against the real controller in-process: the Ingress goes into
/// the objects the controller builds its route table from (with the IngressClass <c>nginx</c> of the lab addon, and the
/// conformance run's <c>--ingress-class</c> default), each backend Service gets echo pods (real HTTP servers on loopback)
/// with a Service and EndpointSlices as the conformance's DeploymentsFromIngress creates them, and requests go to the
/// proxy's Kestrel listeners with the conformance client's behaviour (Go's User-Agent, no decompression, any
/// certificate accepted and captured, redirects re-sent to the same address).
/// </summary>
public sealed class ConformanceCluster : IAsyncDisposable
{
    /// <summary>The conformance run's --ingress-class, given to Ingresses without spec.ingressClassName.</summary>
    public const string IngressClassValue = "nginx";

    private const string IngressClass = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx}
        spec: {controller: k8s.io/ingress-nginx}
        """;

    private readonly X509Certificate2 _fake = FakeCertificate.Create();
    private readonly List<V1Ingress> _ingresses = [];
    private readonly List<V1Service> _services = [];
    private readonly List<V1EndpointSlice> _slices = [];
    private readonly List<V1Secret> _secrets = [];
    private readonly List<ConformanceEcho> _pods = [];
    private readonly RouteTableBuilder _builder;
    private IngressServer _server = null!;

    private ConformanceCluster()
    {
        _builder = new RouteTableBuilder(new IngressClassIdentity(), _fake);
    }

    /// <summary>"a new random namespace".</summary>
    public string Namespace { get; } = $"conformance-{Guid.NewGuid().ToString("N")[..8]}";

    public RouteTable Table => _server.Proxy.Table;

    public static async Task<ConformanceCluster> StartAsync()
    {
        var cluster = new ConformanceCluster();
        cluster._server = await IngressServer.StartAsync(new IngressListenOptions(IPAddress.Loopback, 0, 0), cluster._fake, NullLoggerFactory.Instance);
        return cluster;
    }

    /// <summary>"a self-signed TLS secret named N for the H hostname" (kubernetes.NewSelfSignedSecret).</summary>
    public void AddSelfSignedTlsSecret(string name, string hostname)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"O=Acme Co", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostname);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _secrets.Add(new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = "kubernetes.io/tls",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
            Data = new Dictionary<string, byte[]>
            {
                ["tls.crt"] = Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()),
                ["tls.key"] = Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()),
            },
        });
        Publish();
    }

    /// <summary>"an Ingress resource named N with this spec" (kubernetes.IngressFromSpec).</summary>
    public Task AddIngressFromSpecAsync(string name, string spec)
    {
        var indented = string.Join('\n', spec.Split('\n').Select(l => "  " + l));
        return AddIngressAsync($"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}}}\nspec:\n{indented}\n");
    }

    /// <summary>"an Ingress resource" (kubernetes.IngressFromManifest), then its echo deployments and Services.</summary>
    public async Task AddIngressAsync(string manifest)
    {
        var ingress = KubernetesYaml.Deserialize<V1Ingress>(manifest);
        ingress.Metadata.NamespaceProperty = Namespace;
        ingress.Metadata.CreationTimestamp = DateTime.UtcNow;
        ingress.Spec.IngressClassName ??= IngressClassValue;
        var backends = new List<V1IngressServiceBackend>();
        if (ingress.Spec.DefaultBackend?.Service is { } fallback)
        {
            backends.Add(fallback);
        }

        backends.AddRange((ingress.Spec.Rules ?? []).SelectMany(r => r.Http?.Paths ?? []).Select(p => p.Backend.Service));
        foreach (var backend in backends)
        {
            if (!_services.Any(s => s.Metadata.Name == backend.Name))
            {
                await DeployEchoAsync(ingress.Metadata.Name, backend.Name, backend.Port?.Name, backend.Port?.Number ?? 0, 1);
            }
        }

        _ingresses.Add(ingress);
        Publish();
    }

    /// <summary>"The backend deployment S for the ingress resource is scaled to N".</summary>
    public async Task ScaleAsync(string ingress, string service, int replicas)
    {
        var have = _slices.Count(s => s.Metadata.Labels["kubernetes.io/service-name"] == service);
        var portName = _services.Single(s => s.Metadata.Name == service).Spec.Ports[0].Name;
        for (var i = have; i < replicas; i++)
        {
            await AddPodAsync(ingress, service, portName, i);
        }

        Publish();
    }

    /// <summary>status.loadBalancer.ingress as the controller writes it: the proxy's address for an Ingress it admitted, else none.</summary>
    public string? IngressStatusAddress(string name) =>
        Table.Admitted.Contains($"{Namespace}/{name}", StringComparer.Ordinal) ? "127.0.0.1" : null;

    /// <summary>test/http CaptureRoundTrip: one request on a fresh connection to the proxy, redirects followed to the same address.</summary>
    public async Task<RoundTrip> CaptureRoundTripAsync(string method, string scheme, string hostname, string path)
    {
        var port = scheme == "https" ? _server.HttpsPort : _server.HttpPort;
        X509Certificate2? certificate = null;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions
            {
                // The certificates are self-signed: take whatever comes and let the scenario check it.
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    certificate = presented is null ? null : new X509Certificate2(presented);
                    return certificate is not null;
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{scheme}://127.0.0.1:{port}/{path.TrimStart('/')}");
        request.Version = HttpVersion.Version11;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        request.Headers.TryAddWithoutValidation("User-Agent", "Go-http-client/1.1");
        if (hostname.Length > 0)
        {
            // Also the TLS server name: SocketsHttpHandler takes SNI from the Host header, as Go's ServerName is set to it.
            request.Headers.Host = hostname;
        }

        using var response = await client.SendAsync(request);
        if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308)
        {
            var location = response.Headers.Location ?? throw new InvalidOperationException($"{(int)response.StatusCode} without a Location");
            return await CaptureRoundTripAsync(method, location.Scheme, location.Host, location.AbsolutePath);
        }

        var body = await response.Content.ReadAsStringAsync();
        var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => h.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        var tlsHostname = certificate?.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).FirstOrDefault();
        var captured = new CapturedResponse((int)response.StatusCode, $"HTTP/{response.Version.Major}.{response.Version.Minor}", headers, tlsHostname, certificate);
        return new RoundTrip(captured, TryParseEcho(body));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var pod in _pods)
        {
            await pod.DisposeAsync();
        }

        _fake.Dispose();
    }

    private static CapturedRequest? TryParseEcho(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<CapturedRequest>(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>kubernetes.NewEchoDeployment: the Service (port, or 8080; named as the Ingress names it; target 3000) and its pods.</summary>
    private async Task DeployEchoAsync(string ingress, string service, string? portName, int port, int replicas)
    {
        _services.Add(new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = service, NamespaceProperty = Namespace },
            Spec = new V1ServiceSpec
            {
                Type = "NodePort",
                Selector = new Dictionary<string, string> { ["app"] = $"{ingress}-{service}" },
                Ports = [new V1ServicePort { Name = portName, Port = port == 0 ? 8080 : port, TargetPort = 3000 }],
            },
        });
        for (var i = 0; i < replicas; i++)
        {
            await AddPodAsync(ingress, service, portName, i);
        }
    }

    /// <summary>One ready echo pod, as the EndpointSlice controller publishes it (one slice per pod: each listens on its own port).</summary>
    private async Task AddPodAsync(string ingress, string service, string? portName, int index)
    {
        var pod = $"{ingress}-{service}-{index.ToString(CultureInfo.InvariantCulture)}";
        var echo = await ConformanceEcho.StartAsync(Namespace, ingress, service, pod);
        _pods.Add(echo);
        _slices.Add(new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            AddressType = "IPv4",
            Metadata = new V1ObjectMeta
            {
                Name = pod,
                NamespaceProperty = Namespace,
                Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service },
            },
            Ports = [new Discoveryv1EndpointPort { Name = portName, Port = echo.Port, Protocol = "TCP" }],
            Endpoints = [new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new V1EndpointConditions { Ready = true } }],
        });
    }

    /// <summary>What the controller does on every informer change: build the table from the objects and swap it in.</summary>
    private void Publish()
    {
        var classes = new List<V1IngressClass> { KubernetesYaml.Deserialize<V1IngressClass>(IngressClass) };
        _server.Proxy.Update(_builder.Build(new ClusterState([.. _ingresses], classes, [.. _services], [.. _slices], [.. _secrets])));
    }
}
