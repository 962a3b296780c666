using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Strata.ApiServer.Hosting;

namespace Strata.ApiServer.Tests.Support;

/// <summary>A real API server on a loopback port with a scratch data directory, and clients for it: HttpClient and the real kubectl.</summary>
public sealed class TestApiServer : IAsyncDisposable
{
    private readonly string _cacheDirectory;
    private readonly ApiServerOptions _options;

    private TestApiServer(string directory, ApiServerHost host, ApiServerOptions options)
    {
        _options = options;
        DataDirectory = directory;
        Host = host;
        _cacheDirectory = Path.Combine(directory, "kubectl-cache");
        Http = CreateClient(host);
    }

    public string DataDirectory { get; }

    public ApiServerHost Host { get; private set; }

    public HttpClient Http { get; private set; }

    public Uri Address => Host.Addresses[0];

    public static async Task<TestApiServer> StartAsync(ApiServerOptions? options = null)
    {
        var directory = Directory.CreateTempSubdirectory("strata-apiserver-").FullName;
        options ??= new ApiServerOptions();
        options.DataDirectory = directory;
        options.Listen = ["127.0.0.1:0"];
        return new TestApiServer(directory, await ApiServerHost.StartAsync(options), options);
    }

    /// <summary>Stops the server and starts a new one on the same data directory (a new port).</summary>
    public async Task RestartAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Host = await ApiServerHost.StartAsync(_options);
        Http = CreateClient(Host);
    }

    /// <summary>Runs the real kubectl against this server, with a private discovery cache.</summary>
    public (int ExitCode, string Stdout, string Stderr) Kubectl(params string[] args) =>
        Tool.Run("kubectl", ["--kubeconfig", Host.KubeconfigPath, "--cache-dir", _cacheDirectory, .. args]);

    /// <summary>Runs kubectl with a file's content on stdin (<c>-f -</c>).</summary>
    public (int ExitCode, string Stdout, string Stderr) KubectlStdin(string stdin, params string[] args)
    {
        var file = Path.Combine(DataDirectory, $"stdin-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, stdin);
        var expanded = args.Select(a => a == "-" ? file : a).ToArray();
        return Kubectl(expanded);
    }

    public string KubectlOk(params string[] args)
    {
        var (code, stdout, stderr) = Kubectl(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    public async Task<(int Status, JsonObject Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    public static HttpClient CreateClient(ApiServerHost host)
    {
        var client = AdminHttpClient.Create(host);
        client.Timeout = TimeSpan.FromSeconds(60);
        return client;
    }
}

/// <summary>A test that drives the real kubectl; skipped, with the reason, where kubectl is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (!KubectlAvailable)
        {
            Skip = "needs kubectl on PATH (v1.32 is on the CI machine)";
        }
    }

    public static bool KubectlAvailable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':').Any(d => File.Exists(Path.Combine(d, "kubectl")));
}
