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
    public async Task A_served_manifest_is_followed_and_a_broken_one_keeps_the_configuration()
    {
        var dir = Directory.CreateTempSubdirectory("strata-ingress-").FullName;
        var file = Path.Combine(dir, "ingress.yaml");
        int port = FreePort(), tlsPort = FreePort(), closed = FreePort();
        // The endpoint is a loopback port where nothing listens: the proxy answers 502 at once, never a 404.
        var manifest = Manifest.Replace("10.1.0.7", "127.0.0.1", StringComparison.Ordinal).Replace("port: 8080", $"port: {closed}", StringComparison.Ordinal);
        File.WriteAllText(file, manifest);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "strata.dll"), "ingress", "--manifest", file, "--bind-address", "127.0.0.1",
            "--http-port", $"{port}", "--https-port", $"{tlsPort}"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await EventuallyAsync(async () => await StatusAsync(http, port, "api.example.com", "/v1") == 502, "the manifest to be served");
            Assert.Equal(404, await StatusAsync(http, port, "api.example.com", "/v2"));

            File.WriteAllText(file, manifest.Replace("path: /v1, pathType: Exact", "path: /v2, pathType: Exact", StringComparison.Ordinal));
            await EventuallyAsync(async () => await StatusAsync(http, port, "api.example.com", "/v1") == 404, "the changed manifest to take effect");

            File.WriteAllText(file, "kind: [broken");
            await EventuallyAsync(() => Task.FromResult(Snapshot(stderr).Contains("the configuration in service is kept", StringComparison.Ordinal)), "the broken file to be reported");
            Assert.Equal(502, await StatusAsync(http, port, "api.example.com", "/v2"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Snapshot(System.Text.StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }

    private static async Task<int> StatusAsync(HttpClient http, int port, string host, string path)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
            request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void Without_a_cluster_or_a_manifest_it_says_what_it_needs()
    {
        var (code, _, stderr) = Strata.Run("ingress");
        Assert.Equal(1, code);
        Assert.Contains("strata: ingress needs --kubeconfig (a cluster), --manifest (a file), or a pod's service account (in-cluster)", stderr);
    }

    [Fact]
    public void A_missing_manifest_is_named()
    {
        var (code, _, stderr) = Strata.Run("ingress", "--manifest", "/nonexistent/ingress.yaml", "--dump");
        Assert.Equal(1, code);
        Assert.Contains("strata: --manifest /nonexistent/ingress.yaml: ", stderr);
    }
}
