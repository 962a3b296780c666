using System.Text.Json.Nodes;
using Strata.ApiServer.Conversion;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Kubectl;

/// <summary>The seed's networking.k8s.io/v1beta1 Ingresses, applied as written with the real kubectl, stored as v1.</summary>
public sealed class IngressV1Beta1Tests : IAsyncLifetime
{
    // The seed's rewrite-target example, verbatim.
    private const string Rewrite = """
        apiVersion: networking.k8s.io/v1beta1
        kind: Ingress
        metadata:
          annotations:
            nginx.ingress.kubernetes.io/rewrite-target: /$2
          name: rewrite
          namespace: default
        spec:
          rules:
          - host: rewrite.bar.com
            http:
              paths:
              - backend:
                  serviceName: http-svc
                  servicePort: 80
                path: /something(/|$)(.*)
        """;

    private const string Warning = "Warning: networking.k8s.io/v1beta1 Ingress is deprecated in v1.19+, unavailable in v1.22+; use networking.k8s.io/v1 Ingress";

    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [KubectlFact]
    public void TheSeedsV1Beta1IngressAppliesAsWrittenAndReadsAsV1()
    {
        var (code, stdout, stderr) = _server.KubectlStdin(Rewrite, "apply", "-f", "-");
        Assert.True(code == 0, stderr);
        Assert.Equal("ingress.networking.k8s.io/rewrite created\n", stdout);
        Assert.Contains(Warning, stderr);

        Assert.Equal("http-svc 80 ImplementationSpecific /something(/|$)(.*)",
            _server.KubectlOk("get", "ingress", "rewrite", "-o", "jsonpath={.spec.rules[0].http.paths[0].backend.service.name} {.spec.rules[0].http.paths[0].backend.service.port.number} {.spec.rules[0].http.paths[0].pathType} {.spec.rules[0].http.paths[0].path}"));
        Assert.Equal("networking.k8s.io/v1beta1 http-svc 80",
            _server.KubectlOk("get", "ingresses.v1beta1.networking.k8s.io", "rewrite", "-o", "jsonpath={.apiVersion} {.spec.rules[0].http.paths[0].backend.serviceName} {.spec.rules[0].http.paths[0].backend.servicePort}"));

        // Applied again: kubectl replaces the atomic rules list (the stored path has the defaulted pathType), and
        // the object's spec, so its generation, stays the same.
        (code, _, stderr) = _server.KubectlStdin(Rewrite, "apply", "-f", "-");
        Assert.True(code == 0, stderr);
        Assert.Equal("1", _server.KubectlOk("get", "ingress", "rewrite", "-o", "jsonpath={.metadata.generation}"));

        (code, stdout, stderr) = _server.KubectlStdin(Rewrite.Replace("servicePort: 80", "servicePort: http", StringComparison.Ordinal), "apply", "-f", "-");
        Assert.True(code == 0, stderr);
        Assert.Equal("ingress.networking.k8s.io/rewrite configured\n", stdout);
        Assert.Equal("http", _server.KubectlOk("get", "ingress", "rewrite", "-o", "jsonpath={.spec.rules[0].http.paths[0].backend.service.port.name}"));
    }

    [KubectlFact]
    public void ABadV1Beta1IngressIsRefusedAndNothingIsStored()
    {
        var (code, _, stderr) = _server.KubectlStdin(Rewrite.Replace("serviceName: http-svc", "serviceName: Http_Svc", StringComparison.Ordinal), "apply", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("The Ingress \"rewrite\" is invalid: spec.rules[0].http.paths[0].backend.service.name: Invalid value: \"Http_Svc\"", stderr);
        Assert.Equal(1, _server.Kubectl("get", "ingress", "rewrite").ExitCode);
    }

    [Fact]
    public void ConversionRoundTripsAndDefaultsThePathType()
    {
        var beta = JsonNode.Parse("""
            {"apiVersion":"networking.k8s.io/v1beta1","kind":"Ingress","metadata":{"name":"a"},
             "spec":{"backend":{"serviceName":"default-http","servicePort":"http"},
                     "rules":[{"host":"a.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"serviceName":"web","servicePort":8080}},
                                                               {"path":"/r","backend":{"resource":{"kind":"Bucket","name":"b"}}}]}}]}}
            """)!.AsObject();
        var v1 = IngressV1Beta1.ToV1(beta);
        Assert.Equal(
            """{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"a"},"spec":{"defaultBackend":{"service":{"name":"default-http","port":{"name":"http"}}},"rules":[{"host":"a.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":8080}}}},{"path":"/r","backend":{"resource":{"kind":"Bucket","name":"b"}},"pathType":"ImplementationSpecific"}]}}]}}""",
            v1.ToJsonString());
        var back = IngressV1Beta1.FromV1(v1);
        Assert.Equal("default-http", (string?)back["spec"]!["backend"]!["serviceName"]);
        Assert.Equal("http", (string?)back["spec"]!["backend"]!["servicePort"]);
        Assert.Equal(8080, (int?)back["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["servicePort"]);
        Assert.Equal("networking.k8s.io/v1beta1", (string?)back["apiVersion"]);
    }
}
