using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Skel;

/// <summary>
/// Runs another plugin on behalf of this one, as containernetworking/cni pkg/invoke does for
/// IPAM and meta-plugins (DelegateAdd/Del/Check/Status): found by type on CNI_PATH, given this
/// process's environment with CNI_COMMAND set, and a configuration on stdin. Its error comes back
/// with its own code and message; its stderr is passed on to ours.
/// </summary>
public static class DelegatePlugin
{
    public static JsonObject Add(string type, byte[] config, CmdArgs args)
    {
        var result = Run(type, "ADD", config, args) ?? throw new CniException(CniErrorCode.DecodingFailure, $"plugin {type} returned no result");

        // fixupResultVersion: a result without cniVersion is taken to be in the configuration's version.
        if (result["cniVersion"] is not JsonValue version || !version.TryGetValue(out string? text) || text.Length == 0)
        {
            result["cniVersion"] = args.CniVersion;
        }

        return result;
    }

    public static void Del(string type, byte[] config, CmdArgs args) => Run(type, "DEL", config, args);

    public static void Check(string type, byte[] config, CmdArgs args) => Run(type, "CHECK", config, args);

    public static void Status(string type, byte[] config, CmdArgs args) => Run(type, "STATUS", config, args);

    /// <summary>invoke.FindInPath: the first regular file named <paramref name="type"/> in the CNI_PATH directories.</summary>
    public static string FindInPath(string type, IReadOnlyList<string> path)
    {
        if (string.IsNullOrEmpty(type))
        {
            throw new CniException(CniErrorCode.Internal, "no plugin name provided");
        }

        if (type.Contains('/'))
        {
            throw new CniException(CniErrorCode.Internal, $"invalid plugin name: {type}");
        }

        if (path.Count == 0)
        {
            throw new CniException(CniErrorCode.Internal, "no paths provided");
        }

        return path.Select(dir => Path.Combine(dir, type)).FirstOrDefault(File.Exists)
            ?? throw new CniException(CniErrorCode.Internal, $"failed to find plugin \"{type}\" in path [{string.Join(' ', path)}]");
    }

    private static JsonObject? Run(string type, string command, byte[] config, CmdArgs args)
    {
        string executable = FindInPath(type, args.Path);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CNI_COMMAND"] = command;
        using var process = StartRetryingBusy(start, type);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.BaseStream.Write(config);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The plugin exited without reading all of stdin; its exit status tells what happened.
        }

        process.WaitForExit();
        string output = stdout.Result;
        string errors = stderr.Result;

        if (process.ExitCode != 0)
        {
            throw PluginError(process.ExitCode, output, errors);
        }

        if (errors.Length > 0)
        {
            Console.Error.Write(errors); // informational, as RawExec copies it to the caller's stderr
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(output) as JsonObject ?? throw new System.Text.Json.JsonException("not a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"plugin {type} {command}: cannot decode its result: {ex.Message}");
        }
    }

    /// <summary>RawExec.pluginErr: the plugin's own error JSON, or a message built from what it printed.</summary>
    private static CniException PluginError(int exitCode, string stdout, string stderr)
    {
        string status = $"exit status {exitCode}";
        if (stdout.Length == 0)
        {
            return new CniException(CniErrorCode.Internal, stderr.Length == 0
                ? $"netplugin failed with no error message: {status}"
                : $"netplugin failed: {Quote(stderr)}: {status}");
        }

        try
        {
            if (JsonNode.Parse(stdout) is JsonObject json)
            {
                uint code = json["code"] is JsonValue c && c.TryGetValue(out uint value) ? value : CniErrorCode.Internal;
                string message = json["msg"] is JsonValue m && m.TryGetValue(out string? text) ? text : string.Empty;
                string details = json["details"] is JsonValue d && d.TryGetValue(out string? more) ? more : string.Empty;
                return new CniException(code, message, details);
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return new CniException(CniErrorCode.Internal, $"netplugin failed but error parsing its diagnostic message {Quote(stdout)}");
    }

    /// <summary>Starts the plugin, retrying while its file is being written (ETXTBSY), as RawExec does.</summary>
    private static Process StartRetryingBusy(ProcessStartInfo start, string type)
    {
        const int ETXTBSY = 26;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return Process.Start(start) ?? throw new CniException(CniErrorCode.Internal, $"cannot start plugin {type}");
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == ETXTBSY && attempt < 5)
            {
                Thread.Sleep(1000);
            }
            catch (Win32Exception ex)
            {
                throw new CniException(CniErrorCode.Internal, $"cannot start plugin {type} ({start.FileName}): {ex.Message}");
            }
        }
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t") + "\"";
}
