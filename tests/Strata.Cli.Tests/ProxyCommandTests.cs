namespace Strata.Cli.Tests;

/// <summary><c>strata proxy render</c>: the payload for a file of objects, and errors that name the file.</summary>
public sealed class ProxyCommandTests : IDisposable
{
    private const string Objects = """
        apiVersion: v1
        kind: Service
        metadata: {name: svc1, namespace: ns1}
        spec:
          clusterIP: 172.30.0.41
          ports: [{name: p80, port: 80, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: svc1-1, namespace: ns1, labels: {kubernetes.io/service-name: svc1}}
        addressType: IPv4
        endpoints: [{addresses: [10.180.0.1]}]
        ports: [{name: p80, port: 80, protocol: TCP}]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("strata-proxy-render-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void RenderPrintsTheIptablesRestorePayloadWithUpstreamsChainNames()
    {
        var file = Path.Combine(_directory, "objects.yaml");
        File.WriteAllText(file, Objects);
        var (code, stdout, stderr) = Strata.Run("proxy", "render", "-f", file, "--cluster-cidr", "10.0.0.0/8");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("*filter\n", stdout, StringComparison.Ordinal);
        Assert.Contains(
            "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n", stdout, StringComparison.Ordinal);
        Assert.Contains("-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("COMMIT\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadDocumentIsNamedWithItsFile()
    {
        var file = Path.Combine(_directory, "bad.yaml");
        File.WriteAllText(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        var (code, stdout, stderr) = Strata.Run("proxy", "render", "-f", file);
        Assert.NotEqual(0, code);
        Assert.Empty(stdout);
        Assert.Contains(file, stderr, StringComparison.Ordinal);
    }
}
