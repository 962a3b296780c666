using System.Diagnostics;
using System.Globalization;
using Strata.Agent.Agnhost;
using Strata.Agent.Tests.Images;

namespace Strata.Agent.Tests.Agnhost;

/// <summary><c>strata agnhost …</c> as a process: signals, exit codes and output, as the kubelet sees them.</summary>
public sealed class AgnhostProcessTests
{
    [Theory]
    [InlineData("TERM", 2)]
    [InlineData("INT", 1)]
    public async Task Pause_exits_with_agnhosts_code_for_the_signal(string signal, int code)
    {
        using var pause = AgnhostProcess.Start(null, "pause");
        await pause.Stdout.WaitForAsync(l => l == "Paused");
        pause.Signal(signal);
        Assert.Equal(code, await pause.WaitForExitAsync());
        await pause.Stdout.WaitForAsync(l => l == $"exiting {code}");
    }

    [Fact]
    public async Task Pause_image_exits_zero_on_sigterm()
    {
        using var pause = AgnhostProcess.Start(null, "pause-image");
        await pause.Stderr.WaitForAsync(l => l == "Warning: pause should be the first process");
        pause.Signal("TERM");
        Assert.Equal(0, await pause.WaitForExitAsync());
        await pause.Stderr.WaitForAsync(l => l == "Shutting down, got signal: Terminated");
    }

    [Fact]
    public async Task Dns_server_list_prints_the_first_nameserver()
    {
        using var dns = AgnhostProcess.Start(null, "dns-server-list");
        var expected = DnsInfo.ServerList(File.ReadAllText("/etc/resolv.conf"));
        if (expected is null)
        {
            Assert.Equal(2, await dns.WaitForExitAsync());
            return;
        }

        Assert.Equal(0, await dns.WaitForExitAsync());
        await dns.Stdout.WaitForAsync(l => l == string.Join(",", expected));
    }

    [Fact]
    public async Task A_bad_flag_exits_1_with_cobras_error()
    {
        using var netexec = AgnhostProcess.Start(null, "netexec", "--no-such-flag");
        Assert.Equal(1, await netexec.WaitForExitAsync());
        await netexec.Stderr.WaitForAsync(l => l == "Error: unknown flag: --no-such-flag");
    }

    /// <summary>netexec on its default ports inside a scratch namespace: /exit ends the process with the asked code.</summary>
    [RootFact]
    public async Task Netexec_exits_with_the_code_exit_asks_for()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "set", "lo", "up");
        using var netexec = AgnhostProcess.Start(ns.Name, "netexec");
        await netexec.Stderr.WaitForAsync(l => l.EndsWith("Started HTTP server on port 8080", StringComparison.Ordinal));
        Assert.Equal("ok", await CurlAsync(ns.Name, "http://127.0.0.1:8080/readyz"));
        Assert.Equal(Tool.Check("ip", "netns", "exec", ns.Name, "hostname").Trim(), await CurlAsync(ns.Name, "http://127.0.0.1:8080/hostname"));
        Tool.Run("ip", "netns", "exec", ns.Name, "curl", "-s", "-m", "5", "http://127.0.0.1:8080/exit?code=7");
        Assert.Equal(7, await netexec.WaitForExitAsync());
    }

    [RootFact]
    public async Task Netexec_exits_zero_on_sigterm()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "set", "lo", "up");
        using var netexec = AgnhostProcess.Start(ns.Name, "netexec", "--http-port=8080", "--udp-port=-1");
        await netexec.Stderr.WaitForAsync(l => l.EndsWith("Started HTTP server on port 8080", StringComparison.Ordinal));
        netexec.Signal("TERM");
        Assert.Equal(0, await netexec.WaitForExitAsync());
    }

    private static async Task<string> CurlAsync(string ns, string url)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var (code, body, _) = Tool.Run("ip", "netns", "exec", ns, "curl", "-sS", "-m", "5", url);
            if (code == 0)
            {
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{url} did not answer in {ns}");
    }
}

/// <summary>A <c>strata agnhost</c> process this test started (optionally inside a namespace), killed on Dispose if still running.</summary>
internal sealed class AgnhostProcess : IDisposable
{
    private readonly Process _process;

    private AgnhostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Stdout.Add(e.Data);
        process.ErrorDataReceived += (_, e) => Stderr.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public StringWriterLines Stdout { get; } = new();

    public StringWriterLines Stderr { get; } = new();

    public static AgnhostProcess Start(string? netns, params string[] args)
    {
        // A test run started in the background of a shell inherits SIGINT ignored, which exec keeps and .NET respects
        // (System.Native's pal_signal.c: "We respect ignored signals"); agnhost gets the default disposition back, as a
        // container's process has it.
        string[] command = ["env", "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "strata.dll"), "agnhost", .. args];
        if (netns is not null)
        {
            command = ["ip", "netns", "exec", netns, .. command];
        }

        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        return new AgnhostProcess(Process.Start(start)!);
    }

    /// <summary>Sends a signal to this process (by its PID, which `ip netns exec`, `env` and `dotnet` keep).</summary>
    public void Signal(string signal) => Tool.Check("kill", "-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture));

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
