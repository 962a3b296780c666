using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>A plugin's failure: its spec error (code, msg, details), named with the plugin and the command.</summary>
public sealed class CniPluginException(string plugin, string command, uint code, string message, string details = "")
    : Exception($"plugin {plugin} {command} failed with code {code}: {message}{(details.Length > 0 ? $" ({details})" : string.Empty)}")
{
    public string Plugin { get; } = plugin;

    public string Command { get; } = command;

    public uint Code { get; } = code;

    public string PluginMessage { get; } = message;

    public string Details { get; } = details;
}

/// <summary>
/// Finds and executes plugin binaries with the spec's environment (containernetworking/cni
/// pkg/invoke). With <see cref="HostNetns"/> set, plugins run inside that named network namespace,
/// which is how a lab node's plugins run: the child is forked from a thread switched into it,
/// and a forked process starts in its parent thread's namespaces.
/// </summary>
public sealed class PluginInvoker
{
    public PluginInvoker(IReadOnlyList<string> path, string? hostNetns = null, TimeSpan? timeout = null)
    {
        Path = path;
        HostNetns = hostNetns;
        Timeout = timeout ?? TimeSpan.FromMinutes(2);
    }

    public IReadOnlyList<string> Path { get; }

    public string? HostNetns { get; }

    public TimeSpan Timeout { get; }

    public string Find(string type)
    {
        if (string.IsNullOrEmpty(type) || type.Contains('/'))
        {
            throw new CniConfigException($"invalid plugin type \"{type}\"");
        }

        return Path.Select(dir => System.IO.Path.Combine(dir, type)).FirstOrDefault(File.Exists)
            ?? throw new CniPluginException(type, "exec", 0, $"failed to find plugin \"{type}\" in path [{string.Join(' ', Path)}]");
    }

    /// <summary>Runs one command; returns the plugin's JSON output (null when it printed nothing).</summary>
    public JsonObject? Invoke(string type, string command, JsonObject config, RuntimeConf? runtime)
    {
        string executable = Find(type);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CNI_COMMAND"] = command;
        start.Environment["CNI_CONTAINERID"] = runtime?.ContainerId ?? string.Empty;
        start.Environment["CNI_NETNS"] = runtime?.NetNs ?? string.Empty;
        start.Environment["CNI_IFNAME"] = runtime?.IfName ?? string.Empty;
        start.Environment["CNI_ARGS"] = runtime?.ArgsText ?? string.Empty;
        start.Environment["CNI_PATH"] = string.Join(':', Path);

        using var process = Start(start) ?? throw new CniPluginException(type, command, 0, $"cannot start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.BaseStream.Write(Encoding.UTF8.GetBytes(config.ToJsonString()));
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The plugin exited without reading stdin; its output says why.
        }

        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new CniPluginException(type, command, 0, $"timed out after {Timeout.TotalSeconds:0.#} s; the plugin was killed");
        }

        process.WaitForExit();
        string output = stdout.Result;
        JsonObject? json = null;
        if (!string.IsNullOrWhiteSpace(output))
        {
            try
            {
                json = JsonNode.Parse(output) as JsonObject;
            }
            catch (JsonException ex)
            {
                throw new CniPluginException(type, command, 0, $"invalid output: {ex.Message}: {Truncate(output)}");
            }
        }

        if (process.ExitCode == 0)
        {
            return json;
        }

        if (json?["code"] is JsonValue code && code.TryGetValue(out uint number))
        {
            throw new CniPluginException(type, command, number, json["msg"]?.ToString() ?? string.Empty, json["details"]?.ToString() ?? string.Empty);
        }

        throw new CniPluginException(type, command, 0, $"exited with status {process.ExitCode}: {Truncate(stderr.Result.Trim())}");
    }

    private Process? Start(ProcessStartInfo start)
    {
        if (HostNetns is null)
        {
            return Process.Start(start);
        }

        using var ns = Strata.Netlink.NetworkNamespace.Open(HostNetns);
        return ns.Run(() => Process.Start(start));
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
