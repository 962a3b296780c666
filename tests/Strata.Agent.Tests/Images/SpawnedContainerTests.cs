using System.Globalization;
using k8s.Models;
using Strata.Agent.Images;
using Strata.Agent.Runtime;

namespace Strata.Agent.Tests.Images;

/// <summary>
/// The image table's answer started as the kubelet starts it: written files, then the program spawned inside a pod's
/// network namespace with stdout and stderr into one log file, asked from inside, and stopped with the image's stop signal.
/// </summary>
public sealed class SpawnedContainerTests : IDisposable
{
    private ScratchNamespace? _ns;
    private readonly string _podDirectory = Directory.CreateTempSubdirectory("strata-t-pod-").FullName;
    private SpawnedProcess? _process;

    [RootFact]
    public async Task Nginx_serves_and_logs_each_request_to_the_container_log()
    {
        var (run, log) = Start(new V1Container { Name = "web", Image = "docker.io/library/nginx:1.25" });

        Assert.Contains("<title>Welcome to nginx!</title>", await CurlAsync("http://127.0.0.1:80/"), StringComparison.Ordinal);
        string line = await WaitForLineAsync(log, l => l.Contains("\"GET / HTTP/1.1\"", StringComparison.Ordinal));
        Assert.Matches(@"^127\.0\.0\.1 - - \[[^\]]+\] ""GET / HTTP/1\.1"" 200 \d+ ""-"" ""curl/[^""]+"" ""-""$", line);

        _process!.Signal(run.StopSignal);
        Assert.Equal(0, await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [RootFact]
    public async Task Agnhost_netexec_dials_itself_over_udp_and_exits_zero_on_sigterm()
    {
        var (run, log) = Start(new V1Container
        {
            Name = "netexec",
            Image = "registry.k8s.io/e2e-test-images/agnhost:2.52",
            Args = ["netexec", "--http-port=8080", "--udp-port=8081"],
        });
        Assert.Equal(["agnhost", "netexec", "--http-port=8080", "--udp-port=8081"], run.Arguments);

        await WaitForLineAsync(log, l => l.EndsWith(" Started HTTP server on port 8080", StringComparison.Ordinal));
        string hostname = Tool.Check("hostname").Trim();
        Assert.Equal($"{{\"responses\":[\"{hostname}\"]}}", await CurlAsync("http://127.0.0.1:8080/dial?request=hostname&protocol=udp&host=127.0.0.1&port=8081"));

        _process!.Signal(run.StopSignal);
        Assert.Equal(0, await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(File.ReadAllLines(log), l => l.EndsWith(" GET /dial?host=127.0.0.1&protocol=udp&port=8081&request=hostname&tries=", StringComparison.Ordinal));
    }

    private (RunnableContainer Run, string LogPath) Start(V1Container container)
    {
        _ns = ScratchNamespace.Create();
        Tool.Ip(_ns.Name, "link", "set", "lo", "up");
        var pod = new V1Pod { Metadata = new() { Name = "p", NamespaceProperty = "default" }, Spec = new() { Containers = [container] } };
        string strata = Path.Combine(AppContext.BaseDirectory, "strata");
        var run = Assert.IsType<RunnableContainer>(ImageTable.Resolve(pod, container, ImageContext.ForNode(strata, _podDirectory)));
        Assert.Null(run.StartError);
        foreach (var file in run.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
            File.WriteAllText(file.Path, file.Contents);
        }

        string log = Path.Combine(_podDirectory, container.Name + ".log");
        using var output = File.OpenHandle(log, FileMode.Create, FileAccess.Write);
        _process = ProcessSpawner.Spawn(new SpawnRequest
        {
            Path = run.Executable,
            ArgumentZero = run.ArgumentZero,
            Arguments = run.Arguments,
            Environment = run.Environment,
            Namespaces = new NamespacePaths(Net: $"/run/netns/{_ns.Name}"),
            StandardOutput = output,
            StandardError = output,
        });
        return (run, log);
    }

    private async Task<string> CurlAsync(string url)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var (code, body, _) = Tool.Run("ip", "netns", "exec", _ns!.Name, "curl", "-sS", "-m", "10", url);
            if (code == 0)
            {
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{url} did not answer; log:\n" + string.Join('\n', Directory.GetFiles(_podDirectory, "*.log").Select(File.ReadAllText)));
    }

    private static async Task<string> WaitForLineAsync(string path, Func<string, bool> match)
    {
        for (int attempt = 0; attempt < 300; attempt++)
        {
            if (File.ReadAllLines(path).FirstOrDefault(match) is { } line)
            {
                return line;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no matching line in {path}:\n{File.ReadAllText(path)}");
    }

    public void Dispose()
    {
        if (_process is { HasExited: false } process)
        {
            // The program leads its own session and process group (nginx's workers are in it): end the whole group this test started.
            Tool.Run("kill", "-KILL", "--", "-" + process.Pid.ToString(CultureInfo.InvariantCulture));
            process.WaitForExitAsync().Wait(TimeSpan.FromSeconds(30));
        }

        _process?.Dispose();
        _ns?.Dispose();
        Directory.Delete(_podDirectory, recursive: true);
    }
}
