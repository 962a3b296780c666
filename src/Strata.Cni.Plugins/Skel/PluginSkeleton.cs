using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Strata.Cni.Plugins.Skel;

/// <summary>
/// The plugin side of the CNI contract, after containernetworking/cni pkg/skel/skel.go: read the
/// CNI_* environment and the configuration on stdin, check versions, call the plugin, and print
/// its result or the spec's error JSON.
/// </summary>
public static partial class PluginSkeleton
{
    // Printed as upstream prints results: indented by four spaces, quotes not escaped.
    private static readonly JsonSerializerOptions s_output = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Which variables each command requires (skel.go, getCmdArgsFromEnv).
    private static readonly (string Name, string[] RequiredFor)[] s_variables =
    [
        ("CNI_COMMAND", ["ADD", "CHECK", "DEL", "GC", "STATUS"]),
        ("CNI_CONTAINERID", ["ADD", "CHECK", "DEL"]),
        ("CNI_NETNS", ["ADD", "CHECK"]),
        ("CNI_IFNAME", ["ADD", "CHECK", "DEL"]),
        ("CNI_ARGS", []),
        ("CNI_PATH", ["ADD", "CHECK", "DEL", "GC", "STATUS"]),
    ];

    public static int Run(IPlugin plugin, Func<string, string?> getenv, Stream stdin, TextWriter stdout, TextWriter stderr)
    {
        string version = CniVersion.Current;
        try
        {
            string command = getenv("CNI_COMMAND") ?? string.Empty;
            if (command.Length == 0)
            {
                stderr.WriteLine($"CNI {plugin.Name} plugin (Strata)");
                stderr.WriteLine($"CNI protocol versions supported: {string.Join(", ", CniVersion.Supported)}");
                return 0;
            }

            if (command == "VERSION")
            {
                Write(stdout, new JsonObject
                {
                    ["cniVersion"] = CniVersion.Current,
                    ["supportedVersions"] = new JsonArray(CniVersion.Supported.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
                });
                return 0;
            }

            var args = ReadArgs(command, getenv, stdin);
            version = args.CniVersion;
            Dispatch(plugin, args, stdout);
            return 0;
        }
        catch (CniException error)
        {
            var json = new JsonObject { ["cniVersion"] = version, ["code"] = error.Code, ["msg"] = error.Message };
            if (error.Details.Length > 0)
            {
                json["details"] = error.Details;
            }

            Write(stdout, json);
            return 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Write(stdout, new JsonObject { ["cniVersion"] = version, ["code"] = CniErrorCode.Internal, ["msg"] = ex.Message });
            return 1;
        }
    }

    private static void Dispatch(IPlugin plugin, CmdArgs args, TextWriter stdout)
    {
        string version = args.CniVersion;
        if (!CniVersion.IsSupported(version))
        {
            throw new CniException(CniErrorCode.IncompatibleCniVersion, "incompatible CNI versions",
                $"config is \"{version}\", plugin supports [\"{string.Join("\" \"", CniVersion.Supported)}\"]");
        }

        switch (args.Command)
        {
            case "ADD":
                var result = plugin.Add(args);
                Write(stdout, ResultJson.ForVersion(result, version));
                break;
            case "DEL":
                plugin.Del(args);
                break;
            case "CHECK":
                RequireVersion(version, "0.4.0", "CHECK");
                plugin.Check(args);
                break;
            case "STATUS":
                RequireVersion(version, "1.1.0", "STATUS");
                plugin.Status(args);
                break;
            case "GC":
                RequireVersion(version, "1.1.0", "GC");
                plugin.Gc(args);
                break;
            default:
                throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"unknown CNI_COMMAND: {args.Command}");
        }
    }

    private static void RequireVersion(string version, string minimum, string command)
    {
        if (!CniVersion.AtLeast(version, minimum))
        {
            throw new CniException(CniErrorCode.IncompatibleCniVersion, $"config version does not allow {command}");
        }
    }

    private static CmdArgs ReadArgs(string command, Func<string, string?> getenv, Stream stdin)
    {
        var missing = s_variables.Where(v => string.IsNullOrEmpty(getenv(v.Name)) && v.RequiredFor.Contains(command)).Select(v => v.Name).ToList();
        if (missing.Count > 0)
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"required env variables [{string.Join(",", missing)}] missing");
        }

        string containerId = getenv("CNI_CONTAINERID") ?? string.Empty;
        string ifName = getenv("CNI_IFNAME") ?? string.Empty;
        if (containerId.Length > 0 && !ValidName().IsMatch(containerId))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, "invalid characters in containerID", containerId);
        }

        if (ifName.Length > 0 && Strata.Netlink.InterfaceName.Validate(ifName) is { } problem)
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"invalid CNI_IFNAME: {problem}", ifName);
        }

        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        byte[] data = buffer.ToArray();
        JsonObject config;
        try
        {
            config = JsonNode.Parse(data) as JsonObject ?? throw new JsonException("the configuration is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"error unmarshall network config: {ex.Message}");
        }

        string name = ConfigReader.OptionalString(config, "name") ?? string.Empty;
        if (name.Length == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "missing network name");
        }

        if (!ValidName().IsMatch(name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "invalid characters found in network name", name);
        }

        // libcni's ConfVersionDecoder: a config without cniVersion is 0.1.0.
        if (config["cniVersion"] is null)
        {
            config["cniVersion"] = "0.1.0";
        }

        return new CmdArgs
        {
            Command = command,
            ContainerId = containerId,
            Netns = getenv("CNI_NETNS") ?? string.Empty,
            IfName = ifName,
            Args = ParseCniArgs(getenv("CNI_ARGS") ?? string.Empty),
            Path = (getenv("CNI_PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries),
            StdinData = data,
            Config = config,
        };
    }

    /// <summary>CNI_ARGS: <c>K=V;K2=V2</c> (pkg/types/args.go).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> ParseCniArgs(string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (string pair in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"ARGS: invalid pair \"{pair}\"");
            }

            pairs.Add(new(pair[..equals], pair[(equals + 1)..]));
        }

        return pairs;
    }

    private static void Write(TextWriter stdout, JsonNode json)
    {
        stdout.Write(json.ToJsonString(s_output)); // no trailing newline, as upstream prints it
        stdout.Flush();
    }

    /// <summary>containerID and network names: <c>^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$</c> (pkg/utils/utils.go).</summary>
    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")]
    private static partial Regex ValidName();
}
