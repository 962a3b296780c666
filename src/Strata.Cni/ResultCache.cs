using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// libcni's result cache: <c>&lt;dir&gt;/results/&lt;network&gt;-&lt;containerID&gt;-&lt;ifname&gt;</c>,
/// holding the cachedInfo JSON (kind "cniCacheV1"), so DEL and CHECK work after a restart.
/// </summary>
public sealed class ResultCache(string directory)
{
    public const string DefaultDirectory = "/var/lib/cni";
    public const string Kind = "cniCacheV1";

    public string Directory { get; } = directory;

    public string PathFor(string network, RuntimeConf runtime) =>
        Path.Combine(Directory, "results", $"{network}-{runtime.ContainerId}-{runtime.IfName}");

    public void Write(NetworkConfigList list, RuntimeConf runtime, JsonObject result)
    {
        var cached = new JsonObject
        {
            ["kind"] = Kind,
            ["containerId"] = runtime.ContainerId,
            ["config"] = Convert.ToBase64String(list.Bytes), // Go marshals []byte as base64
            ["ifName"] = runtime.IfName,
            ["networkName"] = list.Name,
        };
        if (runtime.NetNs.Length > 0)
        {
            cached["netns"] = runtime.NetNs;
        }

        if (runtime.Args.Count > 0)
        {
            cached["cniArgs"] = new JsonArray(runtime.Args.Select(a => (JsonNode)new JsonArray(a.Key, a.Value)).ToArray());
        }

        if (runtime.CapabilityArgs.Count > 0)
        {
            cached["capabilityArgs"] = new JsonObject(runtime.CapabilityArgs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.DeepClone())));
        }

        cached["result"] = result.DeepClone();
        string path = PathFor(list.Name, runtime);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.tmp{Environment.ProcessId}";
        File.WriteAllText(temporary, cached.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The cached result, or null if there is none (a missing cache is not an error, as in libcni).</summary>
    public JsonObject? ReadResult(string network, RuntimeConf runtime) => Read(network, runtime)?["result"] as JsonObject;

    public JsonObject? Read(string network, RuntimeConf runtime)
    {
        string path = PathFor(network, runtime);
        if (!File.Exists(path))
        {
            return null;
        }

        var cached = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        return cached?["kind"]?.GetValue<string>() == Kind ? cached
            : throw new CniConfigException($"{path}: read cached network \"{network}\" config has wrong kind");
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

    /// <summary>Every cached attachment (network, containerID, ifname, netns), for GC.</summary>
    public IEnumerable<(string Network, RuntimeConf Runtime)> Attachments()
    {
        string results = Path.Combine(Directory, "results");
        if (!System.IO.Directory.Exists(results))
        {
            yield break;
        }

        foreach (string file in System.IO.Directory.EnumerateFiles(results))
        {
            JsonObject? cached;
            try
            {
                cached = JsonNode.Parse(File.ReadAllText(file)) as JsonObject;
            }
            catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException)
            {
                continue;
            }

            if (cached?["kind"]?.GetValue<string>() != Kind)
            {
                continue;
            }

            yield return (cached["networkName"]!.GetValue<string>(), new RuntimeConf
            {
                ContainerId = cached["containerId"]!.GetValue<string>(),
                IfName = cached["ifName"]!.GetValue<string>(),
                NetNs = cached["netns"]?.GetValue<string>() ?? string.Empty,
                Args = (cached["cniArgs"] as JsonArray ?? []).OfType<JsonArray>().Select(p => KeyValuePair.Create(p[0]!.GetValue<string>(), p[1]!.GetValue<string>())).ToList(),
                CapabilityArgs = (cached["capabilityArgs"] as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value!.DeepClone()),
            });
        }
    }
}
