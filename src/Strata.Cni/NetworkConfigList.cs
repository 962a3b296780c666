using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Strata.Cni;

/// <summary>A configuration file the runtime cannot use; the message names the file and the problem.</summary>
public sealed class CniConfigException(string message) : Exception(message);

/// <summary>
/// A network configuration list (SPEC.md, "Configuration format"), loaded as libcni's conf.go
/// loads it: a <c>.conflist</c> as is, a single-plugin <c>.conf</c>/<c>.json</c> wrapped into a list.
/// </summary>
public sealed partial record NetworkConfigList
{
    public static readonly IReadOnlyList<string> SupportedVersions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public required string Name { get; init; }

    public required string CniVersion { get; init; }

    public bool DisableCheck { get; init; }

    public bool DisableGc { get; init; }

    public required IReadOnlyList<JsonObject> Plugins { get; init; }

    /// <summary>The file's bytes: what the result cache records as "config".</summary>
    public required byte[] Bytes { get; init; }

    public string Source { get; init; } = "<bytes>";

    /// <summary>Every usable file in <paramref name="directory"/>, in lexical order (libcni ConfFiles).</summary>
    public static IReadOnlyList<NetworkConfigList> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CniConfigException($"{directory}: no such directory");
        }

        return Directory.EnumerateFiles(directory)
            .Where(f => Path.GetExtension(f) is ".conf" or ".conflist" or ".json")
            .Order(StringComparer.Ordinal)
            .Select(LoadFile)
            .ToList();
    }

    /// <summary>The network named <paramref name="name"/> in a directory, or the first one when null (what kubelet uses).</summary>
    public static NetworkConfigList Find(string directory, string? name = null)
    {
        var lists = LoadDirectory(directory);
        return (name is null ? (lists.Count > 0 ? lists[0] : null) : lists.FirstOrDefault(l => l.Name == name))
            ?? throw new CniConfigException(name is null ? $"{directory}: no network configuration found" : $"{directory}: no network named \"{name}\"");
    }

    public static NetworkConfigList LoadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new CniConfigException($"{path}: {ex.Message}");
        }

        return Parse(bytes, path, isList: Path.GetExtension(path) == ".conflist");
    }

    public static NetworkConfigList Parse(byte[] bytes, string source, bool isList)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bytes) as JsonObject ?? throw new CniConfigException($"{source}: the configuration is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new CniConfigException($"{source}: invalid JSON: {ex.Message}");
        }

        string name = String(root, "name", source) ?? string.Empty;
        if (name.Length == 0)
        {
            throw new CniConfigException($"{source}: missing network name");
        }

        if (!ValidName().IsMatch(name))
        {
            throw new CniConfigException($"{source}: invalid network name \"{name}\": it must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
        }

        string version = String(root, "cniVersion", source) ?? "0.1.0";
        if (!SupportedVersions.Contains(version))
        {
            throw new CniConfigException($"{source}: unsupported cniVersion \"{version}\" (supported: {string.Join(", ", SupportedVersions)})");
        }

        List<JsonObject> plugins;
        if (isList || root["plugins"] is not null)
        {
            if (root["plugins"] is not JsonArray array || array.Count == 0)
            {
                throw new CniConfigException($"{source}: no plugins in the list (\"plugins\" must be a non-empty array)");
            }

            plugins = array.Select((p, i) => p as JsonObject ?? throw new CniConfigException($"{source}: plugins[{i}] is not an object")).ToList();
        }
        else
        {
            plugins = [root];
        }

        for (int i = 0; i < plugins.Count; i++)
        {
            if (String(plugins[i], "type", source) is not { Length: > 0 })
            {
                throw new CniConfigException($"{source}: plugins[{i}] has no \"type\"");
            }
        }

        return new NetworkConfigList
        {
            Name = name,
            CniVersion = version,
            DisableCheck = root["disableCheck"]?.GetValueKind() == JsonValueKind.True,
            DisableGc = root["disableGC"]?.GetValueKind() == JsonValueKind.True,
            Plugins = plugins,
            Bytes = bytes,
            Source = source,
        };
    }

    private static string? String(JsonObject node, string field, string source) => node[field] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new CniConfigException($"{source}: \"{field}\" must be a string"),
    };

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")]
    private static partial Regex ValidName();
}
