using System.Diagnostics;
using Strata.Agent.Images;

namespace Strata.Agent.Tests.Images;

public sealed class NginxConfigTests
{
    private static string TestData(params string[] parts) =>
        Path.Combine([Repository.Root, "tests", "Strata.Agent.Tests", "Images", "testdata", .. parts]);

    [Fact]
    public void Renders_the_golden_config()
    {
        string rendered = NginxConfig.Render(new NginxSite([80, 8080], "/var/lib/kubelet/pods/uid-1/strata/web"));
        Assert.Equal(File.ReadAllText(TestData("nginx", "two-ports.conf")), rendered);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public void Refuses_a_port_nginx_cannot_listen_on(int port)
    {
        var error = Assert.Throws<ArgumentException>(() => NginxConfig.Render(new NginxSite([port], "/tmp/x")));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Debian_nginx_accepts_the_config()
    {
        string directory = Directory.CreateTempSubdirectory("strata-t-nginx-").FullName;
        try
        {
            string config = Path.Combine(directory, "nginx.conf");
            File.WriteAllText(config, NginxConfig.Render(new NginxSite([8080], directory)));
            var (code, _, stderr) = Tool.Run("/usr/sbin/nginx", "-t", "-c", config, "-g", "daemon off;");
            Assert.True(code == 0, stderr);
            Assert.Contains("syntax is ok", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The image table's nginx container, run for real inside a scratch namespace: it serves Debian's welcome page
    /// on the container's port and logs the request to stdout in the nginx image's format.
    /// </summary>
    [RootFact]
    public async Task Debian_nginx_serves_the_welcome_page_and_logs_to_stdout()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "set", "lo", "up");
        string podDirectory = Directory.CreateTempSubdirectory("strata-t-pod-").FullName;
        Process? nginx = null;
        try
        {
            var container = new k8s.Models.V1Container { Name = "web", Image = "nginx:1.25", Ports = [new() { ContainerPort = 8080 }] };
            var pod = new k8s.Models.V1Pod { Metadata = new() { Name = "web", NamespaceProperty = "default" }, Spec = new() { Containers = [container] } };
            var run = Assert.IsType<RunnableContainer>(ImageTable.Resolve(pod, container, ImageContext.ForNode("/unused/strata", podDirectory)));
            foreach (var file in run.Files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
                File.WriteAllText(file.Path, file.Contents);
            }

            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in (string[])["netns", "exec", ns.Name, run.Executable, .. run.Arguments])
            {
                start.ArgumentList.Add(arg);
            }

            nginx = Process.Start(start)!;
            var stdout = new StringWriterLines();
            nginx.OutputDataReceived += (_, e) => stdout.Add(e.Data);
            nginx.BeginOutputReadLine();
            var stderr = nginx.StandardError.ReadToEndAsync();

            string? page = null;
            for (int attempt = 0; attempt < 100 && page is null; attempt++)
            {
                var (code, body, _) = Tool.Run("ip", "netns", "exec", ns.Name, "curl", "-sS", "-A", "strata-test", "http://127.0.0.1:8080/");
                if (code == 0)
                {
                    page = body;
                }
                else
                {
                    await Task.Delay(100);
                }
            }

            Assert.NotNull(page);
            Assert.Contains("<title>Welcome to nginx!</title>", page, StringComparison.Ordinal);

            // The image's "main" format: combined, then X-Forwarded-For.
            string line = await stdout.WaitForAsync(l => l.Contains("\"GET / HTTP/1.1\"", StringComparison.Ordinal));
            Assert.Matches(@"^127\.0\.0\.1 - - \[[^\]]+\] ""GET / HTTP/1\.1"" 200 \d+ ""-"" ""strata-test"" ""-""$", line);

            // nginx's stop signal (the image's STOPSIGNAL), to the process this test started.
            Tool.Check("kill", $"-{run.StopSignal}", nginx.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await nginx.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, nginx.ExitCode);
            Assert.Contains("start worker processes", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (nginx is { HasExited: false })
            {
                nginx.Kill(entireProcessTree: true);
                nginx.WaitForExit();
            }

            nginx?.Dispose();
            Directory.Delete(podDirectory, recursive: true);
        }
    }
}

/// <summary>Lines a process prints, which a test can wait for.</summary>
internal sealed class StringWriterLines
{
    private readonly List<string> _lines = [];

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    public string[] Snapshot()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    public async Task<string> WaitForAsync(Func<string, bool> match)
    {
        for (int attempt = 0; attempt < 300; attempt++)
        {
            if (Snapshot().FirstOrDefault(match) is { } line)
            {
                return line;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no matching line; got:\n" + string.Join('\n', Snapshot()));
    }
}
