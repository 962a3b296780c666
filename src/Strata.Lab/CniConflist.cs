using System.Text.Json.Nodes;

namespace Strata.Lab;

/// <summary>
/// A kubenet-style CNI network: a bridge on <c>cni0</c> with host-local IPAM on a podCIDR and portmap chained.
/// The lab's nodes use flannel's 10-flannel.conflist instead (Addons/kube-flannel.yaml); bench pods measures this one. Pure.
/// </summary>
public static class CniConflist
{
    public const string FileName = "10-strata-bridge.conflist";
    public const string NetworkName = "strata";

    public static string Render(string podCidr)
    {
        var config = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = NetworkName,
            ["plugins"] = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "bridge",
                    ["bridge"] = "cni0",
                    ["isGateway"] = true,
                    ["ipMasq"] = false,
                    ["hairpinMode"] = true,
                    ["ipam"] = new JsonObject
                    {
                        ["type"] = "host-local",
                        ["ranges"] = new JsonArray { new JsonArray { new JsonObject { ["subnet"] = podCidr } } },
                        ["routes"] = new JsonArray { new JsonObject { ["dst"] = "0.0.0.0/0" } },
                    },
                },
                new JsonObject
                {
                    ["type"] = "portmap",
                    ["capabilities"] = new JsonObject { ["portMappings"] = true },
                    ["snat"] = true,
                },
            },
        };
        return config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
