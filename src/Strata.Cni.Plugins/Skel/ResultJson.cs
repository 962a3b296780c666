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

        // 0.3.x and 0.4.0 results label each IP with its family, first ("version": "4" or "6";
        // pkg/types/040 IPConfig), and 1.0.0 dropped the field.
        if (output["ips"] is JsonArray ips)
        {
            bool labelled = !CniVersion.AtLeast(version, "1.0.0");
            for (int i = 0; i < ips.Count; i++)
            {
                if (ips[i] is not JsonObject ip)
                {
                    continue;
                }

                var rewritten = new JsonObject();
                if (labelled)
                {
                    rewritten["version"] = (ip["address"]?.GetValue<string>() ?? string.Empty).Contains(':') ? "6" : "4";
                }

                foreach (var (key, value) in ip.Where(p => p.Key != "version"))
                {
                    rewritten[key] = value?.DeepClone();
                }

                ips[i] = rewritten;
            }
        }

        return output;
    }
}
