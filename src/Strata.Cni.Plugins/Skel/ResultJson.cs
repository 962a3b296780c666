using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Skel;

/// <summary>Writes a result in the shape of the requested spec version (pkg/types/100 and 040).</summary>
public static class ResultJson
{
    public static JsonObject ForVersion(JsonObject result, string version)
    {
        var output = new JsonObject { ["cniVersion"] = version };
        foreach (var (key, value) in result)
        {
            output[key] = value?.DeepClone();
        }

        // 0.3.x and 0.4.0 results label each IP with its family ("version": "4" or "6").
        if (!CniVersion.AtLeast(version, "1.0.0") && output["ips"] is JsonArray ips)
        {
            foreach (var ip in ips.OfType<JsonObject>())
            {
                string address = ip["address"]?.GetValue<string>() ?? string.Empty;
                ip["version"] = address.Contains(':') ? "6" : "4";
            }
        }

        return output;
    }
}
