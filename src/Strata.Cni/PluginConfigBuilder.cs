using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>The configuration one plugin gets on stdin (libcni buildOneConfig and injectRuntimeConfig). Pure.</summary>
public static class PluginConfigBuilder
{
    public static JsonObject Build(NetworkConfigList list, JsonObject plugin, JsonObject? prevResult, RuntimeConf? runtime)
    {
        var config = (JsonObject)plugin.DeepClone();
        config["name"] = list.Name;
        config["cniVersion"] = list.CniVersion;
        if (prevResult is not null)
        {
            config["prevResult"] = prevResult.DeepClone();
        }

        if (runtime is null)
        {
            return config;
        }

        var runtimeConfig = new JsonObject();
        if (plugin["capabilities"] is JsonObject capabilities)
        {
            foreach (var (capability, supported) in capabilities)
            {
                if (supported?.GetValueKind() == System.Text.Json.JsonValueKind.True && runtime.CapabilityArgs.TryGetValue(capability, out var data))
                {
                    runtimeConfig[capability] = data.DeepClone();
                }
            }
        }

        if (runtimeConfig.Count > 0)
        {
            config["runtimeConfig"] = runtimeConfig;
        }

        return config;
    }

    /// <summary>The GC configuration: the list's name and version with the attachments to keep (libcni GCNetworkList).</summary>
    public static JsonObject BuildGc(NetworkConfigList list, JsonObject plugin, IEnumerable<(string ContainerId, string IfName)> valid)
    {
        var config = (JsonObject)plugin.DeepClone();
        config["name"] = list.Name;
        config["cniVersion"] = list.CniVersion;
        var attachments = new JsonArray(valid.Select(a => (JsonNode)new JsonObject { ["containerID"] = a.ContainerId, ["ifname"] = a.IfName }).ToArray());
        config["cni.dev/valid-attachments"] = attachments;
        config["cni.dev/attachments"] = attachments.DeepClone();
        return config;
    }
}
