using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// The configuration one plugin gets on stdin, built as libcni builds it (buildOneConfig,
/// injectRuntimeConfig, InjectConf, and the GC and STATUS configurations). libcni round-trips the
/// plugin's configuration through a Go map, so keys come out sorted; the objects returned here are
/// already in that order, and <see cref="GoJson.Serialize(JsonNode?)"/> of them is byte for byte what
/// libcni writes to the plugin. Pure.
/// </summary>
public static class PluginConfigBuilder
{
    /// <summary>ADD, CHECK and DEL: name and cniVersion from the list, prevResult, and runtimeConfig for the plugin's capabilities.</summary>
    public static JsonObject Build(NetworkConfigList list, JsonObject plugin, CniResult? prevResult, RuntimeConf? runtime)
    {
        var config = Inject(plugin, new JsonObject
        {
            ["name"] = list.Name,
            ["cniVersion"] = list.CniVersion,
            ["prevResult"] = prevResult?.ToJson(), // as the result type marshals itself
        });
        if (runtime is null)
        {
            return config;
        }

        // Only capabilities the plugin declares true, and only those the runtime has data for.
        var runtimeConfig = new JsonObject();
        if (NetworkConfigList.Lookup(plugin, "capabilities") is JsonObject capabilities)
        {
            foreach (var (capability, supported) in capabilities)
            {
                if (supported?.GetValueKind() == JsonValueKind.True && runtime.CapabilityArgs.TryGetValue(capability, out var data))
                {
                    runtimeConfig[capability] = data.DeepClone();
                }
            }
        }

        // A second InjectConf: the whole configuration, prevResult included, goes through a map again.
        return runtimeConfig.Count == 0 ? config : (JsonObject)GoJson.Sorted(Inject(config, new JsonObject { ["runtimeConfig"] = runtimeConfig }))!;
    }

    /// <summary>
    /// GC (libcni GCNetworkList): name, cniVersion and the attachments to keep, under both
    /// <c>cni.dev/valid-attachments</c> and the misspelt <c>cni.dev/attachments</c> libcni also sends
    /// (containernetworking/cni#1101). With <paramref name="valid"/> null (cnitool's gc) neither key is sent.
    /// </summary>
    public static JsonObject BuildGc(NetworkConfigList list, JsonObject plugin, IEnumerable<(string ContainerId, string IfName)>? valid)
    {
        var inject = new JsonObject { ["name"] = list.Name, ["cniVersion"] = list.CniVersion };
        if (valid is not null)
        {
            var attachments = new JsonArray(valid.Select(a => (JsonNode)new JsonObject { ["containerID"] = a.ContainerId, ["ifname"] = a.IfName }).ToArray());
            inject["cni.dev/valid-attachments"] = attachments;
            inject["cni.dev/attachments"] = attachments.DeepClone();
        }

        return Inject(plugin, inject);
    }

    /// <summary>STATUS (libcni GetStatusNetworkList): the plugin's configuration with the list's name and cniVersion.</summary>
    public static JsonObject BuildStatus(NetworkConfigList list, JsonObject plugin) =>
        Inject(plugin, new JsonObject { ["name"] = list.Name, ["cniVersion"] = list.CniVersion });

    /// <summary>
    /// libcni InjectConf: the configuration as a Go map (every key sorted), with the new values set;
    /// the new values keep their own order inside (Go marshals a struct value in field order).
    /// Null values are skipped.
    /// </summary>
    private static JsonObject Inject(JsonObject original, JsonObject values)
    {
        var config = (JsonObject)GoJson.Sorted(original)!;
        foreach (var (key, value) in values)
        {
            if (value is not null)
            {
                config[key] = value.DeepClone();
            }
        }

        return GoJson.SortedTopLevel(config);
    }
}
