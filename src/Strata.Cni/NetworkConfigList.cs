using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Strata.Cni;

/// <summary>A configuration (or a runtime argument) the runtime cannot use; the message names where and what.</summary>
public class CniConfigException(string message, uint code = 7) : Exception(message)
{
    /// <summary>The spec error code that fits (7, invalid network configuration, unless stated).</summary>
    public uint Code { get; } = code;
}

/// <summary>
/// A network configuration list (SPEC.md section 1), loaded as libcni's conf.go loads it: a
/// <c>.conflist</c> as it is (plus any <c>&lt;dir&gt;/&lt;name&gt;/*.conf</c> plugin files), a
/// single-plugin <c>.conf</c>/<c>.json</c> wrapped into a list. Validation happens at load time,
/// so a bad file is reported with its path before any plugin runs. Pure apart from reading files.
/// </summary>
public sealed partial record NetworkConfigList
{
    /// <summary>The spec versions a configuration may name.</summary>
    public static IReadOnlyList<string> SupportedVersions => Cni.CniVersion.Supported;

    public static readonly IReadOnlyList<string> Extensions = [".conf", ".conflist", ".json"];

    public required string Name { get; init; }

    public required string CniVersion { get; init; }

    public bool DisableCheck { get; init; }

    public bool DisableGc { get; init; }

    public bool LoadOnlyInlinedPlugins { get; init; }

    /// <summary>Each plugin's configuration as written (key order kept).</summary>
    public required IReadOnlyList<JsonObject> Plugins { get; init; }

    /// <summary>
    /// The list's bytes, which the result cache records as "config": the file as read for a
    /// .conflist, and for a single .conf the list libcni builds around it (ConfListFromConf).
    /// </summary>
    public required byte[] Bytes { get; init; }

    /// <summary>Where it came from (a path), for error messages.</summary>
    public string Source { get; init; } = "<bytes>";

    /// <summary>
    /// Every .conf, .conflist and .json file in <paramref name="directory"/>, in lexical order (libcni
    /// ConfFiles, sorted); the first bad file stops the load with an error naming it.
    /// </summary>
    public static IReadOnlyList<NetworkConfigList> LoadDirectory(string directory) =>
        ConfFiles(directory, Extensions).Select(LoadFile).ToList();

    /// <summary>
    /// The network named <paramref name="name"/> (libcni LoadNetworkConf: .conflist files first, then
    /// .conf/.json), or, when null, the first file in lexical order, as kubelet and containerd pick one.
    /// </summary>
    public static NetworkConfigList Find(string directory, string? name = null)
    {
        if (name is null)
        {
            var first = ConfFiles(directory, Extensions).FirstOrDefault()
                ?? throw new CniConfigException($"no net configurations found in {directory}");
            return LoadFile(first);
        }

        var lists = ConfFiles(directory, [".conflist"]);
        foreach (string file in lists)
        {
            var list = LoadFile(file);
            if (list.Name == name)
            {
                return list;
            }
        }

        var singles = ConfFiles(directory, [".conf", ".json"]);
        foreach (string file in singles)
        {
            var list = LoadFile(file);
            if (list.Name == name)
            {
                return list;
            }
        }

        throw new CniConfigException(lists.Count + singles.Count == 0
            ? $"no net configurations found in {directory}"
            : $"no net configuration with name \"{name}\" in {directory}");
    }

    public static NetworkConfigList LoadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CniConfigException($"{path}: {ex.Message}");
        }

        if (Path.GetExtension(path) != ".conflist")
        {
            return Parse(bytes, path, isList: false);
        }

        var list = Parse(bytes, path, isList: true, allowNoPlugins: true);
        if (!list.LoadOnlyInlinedPlugins)
        {
            // libcni NetworkPluginConfsFromFiles: <dir>/<network name>/*.conf, appended in order.
            var extra = ConfFiles(Path.Combine(Path.GetDirectoryName(path) ?? ".", list.Name), [".conf"], missingIsEmpty: true)
                .Select(file => ParsePlugin(ReadJson(File.ReadAllBytes(file), file), file, string.Empty))
                .ToList();
            list = list with { Plugins = [.. list.Plugins, .. extra] };
        }

        return list.Plugins.Count > 0 ? list
            : throw new CniConfigException($"{path}: no plugins in the list (\"plugins\" must be a non-empty array)");
    }

    /// <summary>Parses a list (<paramref name="isList"/>) or a single plugin configuration that becomes a one-plugin list.</summary>
    public static NetworkConfigList Parse(byte[] bytes, string source, bool isList) => Parse(bytes, source, isList, allowNoPlugins: false);

    private static NetworkConfigList Parse(byte[] bytes, string source, bool isList, bool allowNoPlugins)
    {
        var root = ReadJson(bytes, source);
        return isList ? ParseList(root, bytes, source, allowNoPlugins) : ParseSingle(root, source);
    }

    /// <summary>libcni NetworkConfFromBytes, plus the name and version checks libcni leaves to ADD time.</summary>
    private static NetworkConfigList ParseList(JsonObject root, byte[] bytes, string source, bool allowNoPlugins)
    {
        string name = ValidateName(ExactString(root, "name", source) ?? string.Empty, source);
        string version = ListVersion(root, source);
        bool disableCheck = ReadBool(root, "disableCheck", source);
        bool disableGc = ReadBool(root, "disableGC", source);
        bool inlinedOnly = ReadBool(root, "loadOnlyInlinedPlugins", source);

        var plugins = new List<JsonObject>();
        switch (root["plugins"])
        {
            case null when root.ContainsKey("plugins"):
            case JsonArray { Count: 0 }:
                throw new CniConfigException($"{source}: no plugins in the list (\"plugins\" must be a non-empty array)");
            case null when inlinedOnly:
                throw new CniConfigException($"{source}: \"loadOnlyInlinedPlugins\" is true, and there is no \"plugins\" key");
            case null when !allowNoPlugins:
                throw new CniConfigException($"{source}: no plugins in the list (\"plugins\" must be a non-empty array)");
            case null:
                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    plugins.Add(ParsePlugin(array[i] as JsonObject ?? throw new CniConfigException($"{source}: plugins[{i}] is not an object"), source, $"plugins[{i}] "));
                }

                break;
            default:
                throw new CniConfigException($"{source}: \"plugins\" must be an array");
        }

        return new NetworkConfigList
        {
            Name = name,
            CniVersion = version,
            DisableCheck = disableCheck,
            DisableGc = disableGc,
            LoadOnlyInlinedPlugins = inlinedOnly,
            Plugins = plugins,
            Bytes = bytes,
            Source = source,
        };
    }

    /// <summary>libcni ConfFromBytes then ConfListFromConf: the plugin, wrapped in a list with its name and version.</summary>
    private static NetworkConfigList ParseSingle(JsonObject root, string source)
    {
        if (TypedString(root, "type", source, string.Empty) is not { Length: > 0 } && root.ContainsKey("plugins"))
        {
            throw new CniConfigException($"{source}: a .conf or .json file holds one plugin configuration, with a \"type\"; a list with \"plugins\" must be named .conflist");
        }

        var plugin = ParsePlugin(root, source, string.Empty);
        string name = ValidateName(TypedString(root, "name", source, string.Empty) ?? string.Empty, source);
        string version = TypedString(root, "cniVersion", source, string.Empty) ?? string.Empty;
        CheckVersion(version, source);

        // The list libcni writes around it: a Go map, so keys sorted, and the plugin re-marshalled sorted.
        var wrapper = new JsonObject
        {
            ["cniVersion"] = version,
            ["name"] = name,
            ["plugins"] = new JsonArray(GoJson.Sorted(plugin)),
        };
        return new NetworkConfigList
        {
            Name = name,
            CniVersion = version.Length == 0 ? "0.1.0" : version,
            Plugins = [plugin],
            Bytes = GoJson.SerializeToUtf8(wrapper),
            Source = source,
        };
    }

    /// <summary>
    /// One plugin configuration, checked as Go's json.Unmarshal into types.PluginConf checks it (field
    /// types), and with a non-empty "type" (NetworkPluginConfFromBytes).
    /// </summary>
    private static JsonObject ParsePlugin(JsonObject plugin, string source, string where)
    {
        string at = $"{source}: {where}";
        TypedString(plugin, "cniVersion", source, where);
        TypedString(plugin, "name", source, where);
        if (TypedString(plugin, "type", source, where) is not { Length: > 0 })
        {
            throw new CniConfigException(where.Length > 0 ? $"{at}has no \"type\"" : $"{source}: the plugin configuration has no \"type\"");
        }

        var capabilities = Lookup(plugin, "capabilities");
        if (!IsNull(capabilities)
            && !(capabilities is JsonObject map && map.All(p => p.Value?.GetValueKind() is null or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null)))
        {
            throw new CniConfigException($"{at}\"capabilities\" must be an object of booleans");
        }

        if (Lookup(plugin, "ipam") is { } ipam && !IsNull(ipam))
        {
            var obj = ipam as JsonObject ?? throw new CniConfigException($"{at}\"ipam\" must be an object");
            TypedString(obj, "type", source, $"{where}ipam.");
        }

        if (Lookup(plugin, "dns") is { } dns && !IsNull(dns))
        {
            var obj = dns as JsonObject ?? throw new CniConfigException($"{at}\"dns\" must be an object");
            TypedString(obj, "domain", source, $"{where}dns.");
            foreach (string key in new[] { "nameservers", "search", "options" })
            {
                if (Lookup(obj, key) is { } list && !IsNull(list)
                    && (list is not JsonArray array || array.Any(s => s is not null && s.GetValueKind() != JsonValueKind.String)))
                {
                    throw new CniConfigException($"{at}\"dns.{key}\" must be an array of strings");
                }
            }
        }

        if (Lookup(plugin, "prevResult") is { } prev && !IsNull(prev) && prev is not JsonObject)
        {
            throw new CniConfigException($"{at}\"prevResult\" must be an object");
        }

        return plugin;
    }

    /// <summary>cniVersion, or the highest of cniVersions (and cniVersion) this runtime implements (libcni 1.2).</summary>
    private static string ListVersion(JsonObject root, string source)
    {
        string version = ExactString(root, "cniVersion", source) ?? string.Empty;
        if (root["cniVersions"] is { } node && !IsNull(node))
        {
            if (node is not JsonArray array)
            {
                throw new CniConfigException($"{source}: \"cniVersions\" must be an array of strings");
            }

            var candidates = new List<string>();
            for (int i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                {
                    throw new CniConfigException($"{source}: cniVersions[{i}] must be a string");
                }

                candidates.Add(v.GetValue<string>());
            }

            if (version.Length > 0)
            {
                candidates.Add(version);
            }

            var usable = new List<string>();
            foreach (string candidate in candidates)
            {
                try
                {
                    if (!Cni.CniVersion.GreaterThan(candidate, Cni.CniVersion.Current))
                    {
                        usable.Add(candidate);
                    }
                }
                catch (FormatException ex)
                {
                    throw new CniConfigException($"{source}: invalid cniVersions entry \"{candidate}\": {ex.Message}");
                }
            }

            if (usable.Count > 0)
            {
                version = usable.OrderBy(v => Cni.CniVersion.Parse(v)).Last();
            }
        }

        CheckVersion(version, source);
        return version.Length == 0 ? "0.1.0" : version;
    }

    private static void CheckVersion(string version, string source)
    {
        if (version.Length > 0 && !Cni.CniVersion.IsSupported(version))
        {
            throw new CniConfigException($"{source}: unsupported cniVersion \"{version}\" (supported: {string.Join(", ", Cni.CniVersion.Supported)})", 1);
        }
    }

    /// <summary>libcni readBool: a JSON boolean, or the string "true"/"false" in any case.</summary>
    private static bool ReadBool(JsonObject root, string key, string source) => root[key] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            var other => throw new CniConfigException($"{source}: invalid value \"{other}\" for {key}"),
        },
        var other => throw new CniConfigException($"{source}: invalid type {other.GetValueKind()} for {key}: expected a boolean"),
    };

    private static string ValidateName(string name, string source)
    {
        if (name.Length == 0)
        {
            throw new CniConfigException($"{source}: missing network name");
        }

        return ValidName().IsMatch(name) ? name
            : throw new CniConfigException($"{source}: invalid network name \"{name}\": it must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
    }

    internal static JsonObject ReadJson(byte[] bytes, string source)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new CniConfigException($"{source}: invalid JSON: the configuration is not a JSON object");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or DecoderFallbackException)
        {
            throw new CniConfigException($"{source}: invalid JSON: {ex.Message}");
        }
    }

    /// <summary>libcni ConfFiles, sorted: regular files (not directories) with one of the extensions.</summary>
    private static List<string> ConfFiles(string directory, IReadOnlyList<string> extensions, bool missingIsEmpty = false)
    {
        if (!Directory.Exists(directory))
        {
            return missingIsEmpty ? [] : throw new CniConfigException($"{directory}: no such directory");
        }

        return Directory.EnumerateFileSystemEntries(directory)
            .Where(f => !Directory.Exists(f) && extensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A string field read as Go reads a struct field: matched case-insensitively; null or absent is null.</summary>
    private static string? TypedString(JsonObject node, string field, string source, string where) => Lookup(node, field) switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new CniConfigException($"{source}: {where}\"{field}\" must be a string"),
    };

    /// <summary>A list-level string (libcni reads those from a map, so the key must match exactly).</summary>
    private static string? ExactString(JsonObject node, string field, string source) => node[field] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new CniConfigException($"{source}: \"{field}\" must be a string"),
    };

    /// <summary>Go's field matching: the exact key, else the last key equal to it ignoring case.</summary>
    internal static JsonNode? Lookup(JsonObject obj, string key)
    {
        if (obj.TryGetPropertyValue(key, out var exact))
        {
            return exact;
        }

        JsonNode? found = null;
        foreach (var (name, value) in obj)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                found = value;
            }
        }

        return found;
    }

    private static bool IsNull(JsonNode? node) => node is null || node.GetValueKind() == JsonValueKind.Null;

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")]
    internal static partial Regex ValidName();
}
