using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Tests;

/// <summary>The result of one plugin invocation: exit code, stdout parsed as JSON (if any), stderr.</summary>
public sealed record PluginRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonObject Json => JsonNode.Parse(Stdout) as JsonObject ?? throw new InvalidOperationException($"stdout is not a JSON object: {Stdout}");

    public uint? ErrorCode => ExitCode == 0 ? null : Json["code"]?.GetValue<uint>();
}

/// <summary>
/// Runs CNI plugins as a runtime does: an executable from a plugin directory, the CNI_*
/// environment, and the configuration on stdin. <see cref="Strata"/> is the NativeAOT build
/// (out/cni, made by `make build`); <see cref="Reference"/> is Debian's containernetworking-plugins.
/// </summary>
public sealed class CniPlugins
{
    public static readonly CniPlugins Reference = new("/usr/lib/cni");

    public static readonly CniPlugins Strata = new(Repository.Plugins);

    private CniPlugins(string directory) => Directory = directory;

    public string Directory { get; }

    public PluginRun Run(string plugin, string command, string config, string containerId = "", string netns = "", string ifName = "eth0",
        string cniArgs = "", IReadOnlyDictionary<string, string>? extraEnvironment = null, string? hostNetns = null, string? cniPath = null)
    {
        string path = System.IO.Path.Combine(Directory, plugin);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(this == Strata
                ? $"{path} is missing: run 'make build' first (it publishes the NativeAOT plugins to out/cni)"
                : $"{path} is missing: install Debian's containernetworking-plugins ('make deps')");
        }

        // hostNetns: run the plugin inside that namespace, as it would run on a lab node.
        var start = new ProcessStartInfo(hostNetns is null ? path : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (hostNetns is not null)
        {
            start.ArgumentList.Add("netns");
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(hostNetns);
            start.ArgumentList.Add(path);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        start.Environment["CNI_COMMAND"] = command;
        start.Environment["CNI_CONTAINERID"] = containerId;
        start.Environment["CNI_NETNS"] = netns;
        start.Environment["CNI_IFNAME"] = ifName;
        start.Environment["CNI_ARGS"] = cniArgs;
        // cniPath: where delegated plugins (IPAM) are looked up; a ':'-list, this directory by default.
        start.Environment["CNI_PATH"] = cniPath ?? Directory;
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {path}");
        process.StandardInput.Write(config);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{path} {command} did not finish in 30 s");
        }

        return new PluginRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    public override string ToString() => Directory;
}
