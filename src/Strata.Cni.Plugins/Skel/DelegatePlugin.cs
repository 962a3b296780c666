using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Skel;

/// <summary>
/// Runs another plugin on behalf of this one, as containernetworking/cni pkg/invoke does for
/// IPAM and meta-plugins: found by type on CNI_PATH, given this process's CNI_* environment
/// (with CNI_COMMAND set) and a configuration on stdin. Its error comes back with its own code.
/// </summary>
public static class DelegatePlugin
{
    public static JsonObject Add(string type, byte[] config, CmdArgs args) =>
        Run(type, "ADD", config, args) ?? throw new CniException(CniErrorCode.Internal, $"plugin {type} returned no result");

    public static void Del(string type, byte[] config, CmdArgs args) => Run(type, "DEL", config, args);

    public static void Check(string type, byte[] config, CmdArgs args) => Run(type, "CHECK", config, args);

    public static string FindInPath(string type, IReadOnlyList<string> path)
    {
        if (string.IsNullOrEmpty(type) || type.Contains('/'))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid plugin type \"{type}\"");
        }

        return path.Select(dir => Path.Combine(dir, type)).FirstOrDefault(File.Exists)
            ?? throw new CniException(CniErrorCode.Internal, $"failed to find plugin \"{type}\" in path [{string.Join(' ', path)}]");
    }

    private static JsonObject? Run(string type, string command, byte[] config, CmdArgs args)
    {
        var start = new ProcessStartInfo(FindInPath(type, args.Path))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CNI_COMMAND"] = command;
        using var process = Process.Start(start) ?? throw new CniException(CniErrorCode.Internal, $"cannot start plugin {type}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(config);
        process.StandardInput.Close();
        process.WaitForExit();
        string output = stdout.Result;

        JsonObject? json = null;
        if (!string.IsNullOrWhiteSpace(output))
        {
            try
            {
                json = JsonNode.Parse(output) as JsonObject;
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new CniException(CniErrorCode.DecodingFailure, $"plugin {type} {command}: cannot parse its output: {ex.Message}");
            }
        }

        if (process.ExitCode == 0)
        {
            return json;
        }

        if (json?["code"] is { } code && json["msg"] is { } message)
        {
            throw new CniException(code.GetValue<uint>(), message.GetValue<string>(), json["details"]?.GetValue<string>() ?? string.Empty);
        }

        throw new CniException(CniErrorCode.Internal, $"plugin {type} {command} failed (exit {process.ExitCode}): {stderr.Result.Trim()}");
    }
}
