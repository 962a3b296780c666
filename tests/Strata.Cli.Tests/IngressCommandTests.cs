namespace Strata.Cli.Tests;

public sealed class IngressCommandTests
{
    private const string Manifest = """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "maybe"}}
        spec:
          rules:
          - host: web.example.com
            http:
              paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: api}
        spec:
          rules:
          - host: api.example.com
            http:
              paths: [{path: /v1, pathType: Exact, backend: {service: {name: api, port: {number: 80}}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: api-1, labels: {kubernetes.io/service-name: api}}
        addressType: IPv4
        ports: [{port: 8080}]
        endpoints: [{addresses: [10.1.0.7]}]
        """;

    [Fact]
    public void Dump_prints_the_route_table_of_a_manifest()
    {
        var file = Path.Combine(Path.GetTempPath(), $"strata-ingress-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, Manifest);
        try
        {
            var (code, stdout, stderr) = Strata.Run("ingress", "--manifest", file, "--dump");
            Assert.True(code == 0, stderr);
            Assert.Equal("""
                server api.example.com
                  Exact /v1 -> default/api:80 [10.1.0.7:8080] (default/api)
                admitted: default/api
                problem InvalidAnnotation: Ingress default/web: annotation nginx.ingress.kubernetes.io/ssl-redirect: value "maybe" is invalid: expected true or false; the Ingress is not served

                """, stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Without_a_cluster_or_a_manifest_it_says_what_it_needs()
    {
        var (code, _, stderr) = Strata.Run("ingress");
        Assert.Equal(1, code);
        Assert.Contains("strata: ingress needs --kubeconfig (a cluster) or --manifest (a file)", stderr);
    }

    [Fact]
    public void A_missing_manifest_is_named()
    {
        var (code, _, stderr) = Strata.Run("ingress", "--manifest", "/nonexistent/ingress.yaml", "--dump");
        Assert.Equal(1, code);
        Assert.Contains("strata: --manifest /nonexistent/ingress.yaml: ", stderr);
    }
}
