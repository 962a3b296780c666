using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Lab;

namespace Strata.Lab.Tests;

/// <summary>A lab with a test-unique name (strata-t-…), state directory and API port, driven through the real out/strata; torn down on Dispose.</summary>
internal sealed partial class TestLab : IDisposable
{
    public TestLab()
    {
        string id = Guid.NewGuid().ToString("N")[..6];
        Name = "t-" + id;
        StateDirectory = Path.Combine(Path.GetTempPath(), "strata-t-lab-" + id);
        ApiPort = FreePort();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with "timed out waiting for <paramref name="what"/>" after <paramref name="timeout"/> (60 s).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(250);
        }
    }

    /// <summary>The underlay namespace's own IPv4 address on its bridge: the source of what a client there sends.</summary>
    public string UnderlayAddress() =>
        ExecOk("underlay", "ip", "-4", "-o", "addr", "show")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[1] != "lo" && f[2] == "inet")
            .Select(f => f[3].Split('/')[0])
            .First();

    public string Name { get; }

    public string StateDirectory { get; }

    public int ApiPort { get; }

    public LabNames Names => new(Name);

    public string Kubeconfig => LabPaths.Kubeconfig(StateDirectory);

    public static string StrataPath => Path.Combine(Repository.Root, "out", "strata");


    public string[] Location => ["--name", Name, "--state-dir", StateDirectory];

    public async Task<(int ExitCode, string Stdout, string Stderr)> UpAsync(int nodes, params string[] extra)
    {
        var start = new ProcessStartInfo(StrataPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["up", "--nodes", nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--api-port", ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "90", .. extra, .. Location])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var exited = process.WaitForExitAsync(cancel.Token);
        try
        {
            await exited;
        }
        catch
        {
            // Never leave an up running behind the test's down.
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public (int ExitCode, string Stdout, string Stderr) Strata(params string[] args) => Tool.Run(StrataPath, [.. args, .. Location]);

    public (int ExitCode, string Stdout, string Stderr) Exec(string node, params string[] command) => Tool.Run(StrataPath, ["exec", node, .. Location, "--", .. command]);

    public string ExecOk(string node, params string[] command)
    {
        var (code, stdout, stderr) = Exec(node, command);
        Assert.True(code == 0, $"strata exec {node} -- {string.Join(' ', command)} exited {code}: {stderr}");
        return stdout;
    }

    public string Kubectl(params string[] args) =>
        Tool.Check("kubectl", ["--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(Path.GetTempPath(), "strata-t-kubectl-cache-" + Name), .. args]);

    public void Dispose()
    {
        Tool.Run(StrataPath, ["down", .. Location]);
        string cache = Path.Combine(Path.GetTempPath(), "strata-t-kubectl-cache-" + Name);
        if (Directory.Exists(cache))
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private static int FreePort()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = 16443 + Random.Shared.Next(0, 4000);
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 50)
            {
            }
        }
    }

    /// <summary>What the lab could touch in the host's root namespace: links, addresses, routes, rules and iptables.</summary>
    public static string RootSnapshot()
    {
        string links = string.Join("\n", Json("link").EnumerateArray().Select(l => $"{l.GetProperty("ifname")} master={(l.TryGetProperty("master", out var m) ? m.GetString() : "-")}").Order());
        string addresses = string.Join("\n", Json("addr").EnumerateArray()
            .SelectMany(l => l.GetProperty("addr_info").EnumerateArray().Select(a => $"{l.GetProperty("ifname")} {a.GetProperty("local")}/{a.GetProperty("prefixlen")}")).Order());
        string routes = string.Join("\n", JsonDocument("route", "show", "table", "all").EnumerateArray()
            .Select(r => $"{Field(r, "type")} {Field(r, "dst")} {Field(r, "gateway")} {Field(r, "dev")} {Field(r, "table")}").Order());
        string rules = Tool.Check("ip", "-j", "rule");
        string iptables = Counters().Replace(string.Join("\n", Tool.Check("iptables-save").Split('\n').Where(l => !l.StartsWith('#'))), "");
        return $"{links}\n--\n{addresses}\n--\n{routes}\n--\n{rules}\n--\n{iptables}";
    }

    private static System.Text.Json.JsonElement Json(string what) => JsonDocument(what);

    private static System.Text.Json.JsonElement JsonDocument(params string[] args) =>
        System.Text.Json.JsonDocument.Parse(Tool.Check("ip", ["-j", .. args])).RootElement.Clone();

    private static string Field(System.Text.Json.JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "-";

    [GeneratedRegex(@"\[\d+:\d+\]")]
    private static partial Regex Counters();
}

/// <summary>A lab test: needs root and the `make build` outputs (out/strata, out/cni), and says which is missing when skipped.</summary>
public sealed class LabFactAttribute : FactAttribute
{
    public LabFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: it creates network and mount namespaces (CI runs as root)";
        }
        else if (!File.Exists(TestLab.StrataPath) || !Directory.Exists(Path.Combine(Repository.Root, "out", "cni")))
        {
            Skip = "needs the make build outputs: out/strata and out/cni (run make build)";
        }
    }
}
