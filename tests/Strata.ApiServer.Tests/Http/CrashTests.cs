using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Strata.ApiServer.Hosting;

namespace Strata.ApiServer.Tests.Http;

/// <summary><c>strata apiserver</c> as a process: every acknowledged write survives <c>kill -9</c> and a restart.</summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("strata-crash-").FullName;
    private Process? _server;

    public void Dispose()
    {
        Stop();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Acknowledged_writes_survive_kill_9_and_a_watch_resumes_after_the_restart()
    {
        var port = FreePort();
        using (var http = await StartAsync(port))
        {
            for (var i = 0; i < 50; i++)
            {
                var response = await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = $"c{i}" },
                    ["data"] = new JsonObject { ["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                }));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }

            _server!.Kill(); // SIGKILL, to our own child only.
            await _server.WaitForExitAsync();
        }

        using (var http = await StartAsync(port))
        {
            var list = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps"))!;
            // Besides the root CA the root-ca-cert-publisher keeps in every namespace.
            var items = new JsonArray([.. list["items"]!.AsArray().Where(i => (string?)i!["metadata"]!["name"] != "kube-root-ca.crt").Select(i => i!.DeepClone())]);
            Assert.Equal(50, items.Count);
            Assert.Equal("49", (string?)items.Single(i => (string?)i!["metadata"]!["name"] == "c49")!["data"]!["i"]);

            var first = (string)items.Single(i => (string?)i!["metadata"]!["name"] == "c47")!["metadata"]!["resourceVersion"]!;
            using var watch = await http.GetStreamAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={first}");
            using var reader = new StreamReader(watch);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var names = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var e = JsonNode.Parse((await reader.ReadLineAsync(timeout.Token))!)!;
                names.Add((string)e["object"]!["metadata"]!["name"]!);
            }

            Assert.Equal(["c48", "c49"], names);
        }
    }

    private async Task<HttpClient> StartAsync(int port)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "strata.dll"), "apiserver", "--listen", $"127.0.0.1:{port}", "--data-dir", _directory })
        {
            start.ArgumentList.Add(arg);
        }

        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(_server.HasExited, $"strata apiserver exited with {(_server.HasExited ? _server.ExitCode : 0)}");
            try
            {
                var http = Client(port);
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    // Credentials are complete once the server serves: read them again rather than trust an early read.
                    http.Dispose();
                    return Client(port);
                }

                http.Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "strata apiserver did not become ready in 30 s");
            await Task.Delay(100);
        }
    }

    private HttpClient Client(int port)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_directory, "pki", "ca.crt"));
        var token = File.ReadAllText(Path.Combine(_directory, "pki", "token")).Trim();
        var http = AdminHttpClient.Create(new Uri($"https://127.0.0.1:{port}"), ca, token);
        http.Timeout = TimeSpan.FromSeconds(30);
        return http;
    }

    private void Stop()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            _server.WaitForExit();
        }

        _server?.Dispose();
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
