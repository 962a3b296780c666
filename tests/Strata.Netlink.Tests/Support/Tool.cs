using System.Diagnostics;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>Runs the reference tools (iproute2's <c>ip</c> and <c>bridge</c>, <c>ping</c>) and reads their JSON.</summary>
public static class Tool
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 30 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command and fails the test, with its stderr, if it fails.</summary>
    public static string Check(string file, params string[] args)
    {
        var (code, stdout, stderr) = Run(file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary><c>ip -n NS -j -d ARGS</c>, parsed.</summary>
    public static JsonElement IpJson(string ns, params string[] args) =>
        JsonDocument.Parse(Check("ip", ["-n", ns, "-j", "-d", .. args])).RootElement.Clone();

    public static void Ip(string ns, params string[] args) => Check("ip", ["-n", ns, .. args]);

    public static JsonElement BridgeJson(string ns, params string[] args) =>
        JsonDocument.Parse(Check("ip", ["netns", "exec", ns, "bridge", "-j", .. args])).RootElement.Clone();

    /// <summary>One ICMP echo from inside a namespace; true if it was answered.</summary>
    public static bool Ping(string ns, string address) =>
        Run("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", address).ExitCode == 0;
}
