using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>One attachment recorded in the result cache (libcni NetworkAttachment).</summary>
public sealed record CniAttachment(
    string ContainerId,
    string Network,
    string IfName,
    byte[] Config,
    string NetNs,
    IReadOnlyList<KeyValuePair<string, string>> Args,
    IReadOnlyDictionary<string, JsonNode> CapabilityArgs)
{
    /// <summary>The runtime arguments ADD was given, as GC uses them to DEL a stale attachment.</summary>
    public RuntimeConf ToRuntimeConf() => new()
    {
        ContainerId = ContainerId,
        NetNs = NetNs,
        IfName = IfName,
        Args = Args,
        CapabilityArgs = CapabilityArgs,
    };
}

/// <summary>
/// libcni's result cache: <c>&lt;dir&gt;/results/&lt;network&gt;-&lt;containerID&gt;-&lt;ifname&gt;</c>
/// holding the cachedInfo JSON (kind "cniCacheV1") byte for byte as libcni writes it, so DEL and
/// CHECK work after a restart and a libcni-based runtime could read Strata's entries and the other
/// way round. Entries are written atomically (a temporary file renamed over the entry), mode 0600 in
/// a 0700 directory as libcni makes them.
/// </summary>
public sealed class ResultCache(string directory)
{
    public const string DefaultDirectory = "/var/lib/cni";
    public const string Kind = "cniCacheV1";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode EntryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = directory;

    public string ResultsDirectory => Path.Combine(Directory, "results");

    /// <summary>libcni getCacheFilePath: the network name, container ID and interface name are all required.</summary>
    public string PathFor(string network, RuntimeConf runtime) =>
        network.Length == 0 || runtime.ContainerId.Length == 0 || runtime.IfName.Length == 0
            ? throw new CniConfigException($"cache file path requires network name (\"{network}\"), container ID (\"{runtime.ContainerId}\"), and interface name (\"{runtime.IfName}\")")
            : Path.Combine(ResultsDirectory, $"{network}-{runtime.ContainerId}-{runtime.IfName}");

    /// <summary>
    /// The cachedInfo object libcni's cacheAdd marshals: the struct's fields in order, empty optional
    /// ones left out, the config bytes in base64, and result and capabilityArgs with sorted keys
    /// (they went through Go maps). Pure.
    /// </summary>
    public static JsonObject Entry(NetworkConfigList list, RuntimeConf runtime, CniResult result)
    {
        var entry = new JsonObject
        {
            ["kind"] = Kind,
            ["containerId"] = runtime.ContainerId,
            ["config"] = Convert.ToBase64String(list.Bytes),
            ["ifName"] = runtime.IfName,
            ["networkName"] = list.Name,
        };
        if (runtime.NetNs.Length > 0)
        {
            entry["netns"] = runtime.NetNs;
        }

        if (runtime.Args.Count > 0)
        {
            entry["cniArgs"] = new JsonArray(runtime.Args.Select(a => (JsonNode)new JsonArray(a.Key, a.Value)).ToArray());
        }

        if (runtime.CapabilityArgs.Count > 0)
        {
            entry["capabilityArgs"] = GoJson.Sorted(new JsonObject(runtime.CapabilityArgs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.DeepClone()))));
        }

        var raw = result.ToJson();
        if (raw.Count > 0)
        {
            entry["result"] = GoJson.Sorted(raw);
        }

        return entry;
    }

    public void Write(NetworkConfigList list, RuntimeConf runtime, CniResult result)
    {
        string path = PathFor(list.Name, runtime);
        byte[] bytes = GoJson.SerializeToUtf8(Entry(list, runtime, result));
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(ResultsDirectory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(ResultsDirectory, DirectoryMode);
        }

        // The temporary file sits beside results/, not in it, so a listing never sees a half-written entry.
        string temporary = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = EntryMode;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// The cached result of ADD in <paramref name="cniVersion"/> (libcni getCachedResult): null if there
    /// is no entry; an entry written before cniCacheV1 (a bare result) is read too. Throws
    /// <see cref="CniConfigException"/> for an entry it cannot read.
    /// </summary>
    public CniResult? ReadResult(string network, string cniVersion, RuntimeConf runtime)
    {
        string path = PathFor(network, runtime);
        if (ReadBytes(path) is not { } bytes)
        {
            return null;
        }

        try
        {
            var root = JsonNode.Parse(bytes) as JsonObject;
            CniResult result;
            if (root is not null && TryReadEntry(root, out var entry, out _) && entry.Kind == Kind)
            {
                result = CniResult.Parse(entry.Result ?? []);
            }
            else
            {
                result = root is null ? throw new CniResultException("not a JSON object") : CniResult.Parse(root); // the legacy format
            }

            return result.ConvertTo(cniVersion);
        }
        catch (Exception ex) when (ex is JsonException or CniResultException or ArgumentException or InvalidOperationException)
        {
            throw new CniConfigException($"{path}: cannot read the cached result of network \"{network}\": {ex.Message}", 6);
        }
    }

    /// <summary>
    /// The configuration bytes ADD used and the runtime arguments with the cached CNI_ARGS and
    /// capability data (libcni GetNetworkListCachedConfig); nulls if there is no entry.
    /// </summary>
    public (byte[]? Config, RuntimeConf? Runtime) ReadConfig(string network, RuntimeConf runtime)
    {
        string path = PathFor(network, runtime);
        if (ReadBytes(path) is not { } bytes)
        {
            return (null, null);
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(bytes) as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new CniConfigException($"failed to unmarshal cached network \"{network}\" config: {ex.Message}", 6);
        }

        if (root is null)
        {
            throw new CniConfigException($"failed to unmarshal cached network \"{network}\" config: not a JSON object", 6);
        }

        if (!TryReadEntry(root, out var entry, out string problem))
        {
            throw new CniConfigException($"failed to unmarshal cached network \"{network}\" config: {problem}", 6);
        }

        if (entry.Kind != Kind)
        {
            throw new CniConfigException($"read cached network \"{network}\" config has wrong kind: {entry.Kind}", 6);
        }

        return (entry.Config, runtime with
        {
            Args = entry.Args ?? runtime.Args,
            CapabilityArgs = entry.CapabilityArgs ?? new Dictionary<string, JsonNode>(),
        });
    }

    /// <summary>Removes the entry; one that was never written (an ADD that failed) is not an error.</summary>
    public void Delete(string network, RuntimeConf runtime)
    {
        string path = PathFor(network, runtime);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Every readable cniCacheV1 entry, in file-name order, optionally only one container's (libcni
    /// GetCachedAttachments): unreadable files and entries without an interface or network name are skipped.
    /// </summary>
    public IReadOnlyList<CniAttachment> Attachments(string? containerId = null)
    {
        if (!System.IO.Directory.Exists(ResultsDirectory))
        {
            return [];
        }

        var attachments = new List<CniAttachment>();
        foreach (string file in System.IO.Directory.EnumerateFileSystemEntries(ResultsDirectory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (!string.IsNullOrEmpty(containerId))
            {
                string part = $"-{containerId}-";
                int position = name.IndexOf(part, StringComparison.Ordinal);
                if (position <= 0 || position + part.Length >= name.Length)
                {
                    continue;
                }
            }

            try
            {
                if (ReadBytes(file) is not { } bytes || JsonNode.Parse(bytes) is not JsonObject root || !TryReadEntry(root, out var entry, out _))
                {
                    continue;
                }

                if (entry.Kind != Kind || (!string.IsNullOrEmpty(containerId) && entry.ContainerId != containerId)
                    || entry.IfName.Length == 0 || entry.NetworkName.Length == 0)
                {
                    continue;
                }

                attachments.Add(new CniAttachment(entry.ContainerId, entry.NetworkName, entry.IfName, entry.Config ?? [], entry.NetNs,
                    entry.Args ?? [], entry.CapabilityArgs ?? new Dictionary<string, JsonNode>()));
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
            {
                continue;
            }
        }

        return attachments;
    }

    private static byte[]? ReadBytes(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // libcni: "ignore read errors; the cached result may not exist on-disk"
        }
    }

    private sealed record CachedInfo(
        string Kind,
        string ContainerId,
        byte[]? Config,
        string IfName,
        string NetworkName,
        string NetNs,
        IReadOnlyList<KeyValuePair<string, string>>? Args,
        IReadOnlyDictionary<string, JsonNode>? CapabilityArgs,
        JsonObject? Result);

    /// <summary>json.Unmarshal into libcni's cachedInfo: field types are checked, unknown fields ignored.</summary>
    private static bool TryReadEntry(JsonObject root, out CachedInfo entry, out string problem)
    {
        entry = null!;
        problem = string.Empty;
        try
        {
            string Text(string key) => NetworkConfigList.Lookup(root, key) switch
            {
                null => string.Empty,
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => string.Empty,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => throw new FormatException($"\"{key}\" is not a string"),
            };

            string config = Text("config");
            List<KeyValuePair<string, string>>? args = NetworkConfigList.Lookup(root, "cniArgs") switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
                JsonArray pairs => pairs.Select(p => p is JsonArray pair && pair.All(s => s is null || s.GetValueKind() == JsonValueKind.String)
                    ? KeyValuePair.Create(pair.Count > 0 ? pair[0]?.GetValue<string>() ?? string.Empty : string.Empty, pair.Count > 1 ? pair[1]?.GetValue<string>() ?? string.Empty : string.Empty)
                    : throw new FormatException("\"cniArgs\" is not an array of [key, value] pairs")).ToList(),
                _ => throw new FormatException("\"cniArgs\" is not an array"),
            };
            Dictionary<string, JsonNode>? capabilities = NetworkConfigList.Lookup(root, "capabilityArgs") switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
                JsonObject map => map.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.DeepClone()),
                _ => throw new FormatException("\"capabilityArgs\" is not an object"),
            };
            JsonObject? result = NetworkConfigList.Lookup(root, "result") switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
                JsonObject map => (JsonObject)map.DeepClone(),
                _ => throw new FormatException("\"result\" is not an object"),
            };
            entry = new CachedInfo(Text("kind"), Text("containerId"), config.Length == 0 ? null : Convert.FromBase64String(config),
                Text("ifName"), Text("networkName"), Text("netns"), args, capabilities, result);
            return true;
        }
        catch (FormatException ex)
        {
            problem = ex.Message;
            return false;
        }
    }
}
