using System.Globalization;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// <c>/run/flannel/subnet.env</c>, as the flannel daemon writes it and flannel-io/cni-plugin
/// (flannel.go, loadFlannelSubnetEnv) reads it.
/// </summary>
public sealed record FlannelSubnetEnv
{
    public IReadOnlyList<IpPrefix> Networks { get; init; } = [];

    public IpPrefix? Subnet { get; init; }

    public IReadOnlyList<IpPrefix> Ipv6Networks { get; init; } = [];

    public IpPrefix? Ipv6Subnet { get; init; }

    public uint Mtu { get; init; }

    /// <summary>FLANNEL_IPMASQ: true when the flannel daemon masquerades, so the bridge must not.</summary>
    public bool IpMasq { get; init; }

    public static FlannelSubnetEnv Parse(string text, string path)
    {
        var env = new FlannelSubnetEnv();
        bool haveMtu = false, haveMasq = false;
        foreach (string line in text.Split('\n'))
        {
            string[] parts = line.TrimEnd('\r').Split('=', 2);
            if (parts.Length < 2)
            {
                continue;
            }

            string key = parts[0], value = parts[1];
            switch (key)
            {
                case "FLANNEL_NETWORK":
                    env = env with { Networks = ParseNetworks(value, key, path) };
                    break;
                case "FLANNEL_SUBNET":
                    env = env with { Subnet = ParseCidr(value, key, path) };
                    break;
                case "FLANNEL_IPV6_NETWORK":
                    env = env with { Ipv6Networks = ParseNetworks(value, key, path) };
                    break;
                case "FLANNEL_IPV6_SUBNET":
                    env = env with { Ipv6Subnet = ParseCidr(value, key, path) };
                    break;
                case "FLANNEL_MTU":
                    env = env with { Mtu = uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint mtu) ? mtu : throw Bad(path, key, value) };
                    haveMtu = true;
                    break;
                case "FLANNEL_IPMASQ":
                    env = env with { IpMasq = value == "true" };
                    haveMasq = true;
                    break;
            }
        }

        var missing = new List<string>();
        if (env.Networks.Count == 0 && env.Ipv6Networks.Count == 0)
        {
            missing.AddRange(["FLANNEL_NETWORK", "FLANNEL_IPV6_NETWORK"]);
        }

        if (env.Subnet is null && env.Ipv6Subnet is null)
        {
            missing.AddRange(["FLANNEL_SUBNET", "FLANNEL_IPV6_SUBNET"]);
        }

        if (!haveMtu)
        {
            missing.Add("FLANNEL_MTU");
        }

        if (!haveMasq)
        {
            missing.Add("FLANNEL_IPMASQ");
        }

        return missing.Count == 0 ? env : throw new CniException(CniErrorCode.Internal,
            $"failed to load flannel 'subnet.env' file: {path} is missing {string.Join(", ", missing)}. Check the flannel pod log for this node.");
    }

    private static List<IpPrefix> ParseNetworks(string value, string key, string path)
    {
        var networks = new List<IpPrefix>();
        foreach (string cidr in value.Split(','))
        {
            var network = ParseCidr(cidr, key, path);
            if (!networks.Contains(network))
            {
                networks.Add(network);
            }
        }

        return networks;
    }

    /// <summary>As Go's net.ParseCIDR, keeping the network (host bits cleared).</summary>
    private static IpPrefix ParseCidr(string value, string key, string path) =>
        IpPrefix.TryParse(value, out var prefix) && value.Contains('/') ? prefix.Network : throw Bad(path, key, value);

    private static CniException Bad(string path, string key, string value) =>
        new(CniErrorCode.Internal, $"failed to load flannel 'subnet.env' file: {path}: {key}={value} is not valid");
}

/// <summary>
/// Builds the configuration the flannel meta-plugin hands to its delegate (flannel_linux.go,
/// doCmdAdd and getDelegateIPAM): bridge with isGateway, host-local on FLANNEL_SUBNET with a route
/// to each FLANNEL_NETWORK, the MTU from FLANNEL_MTU, and ipMasq only if flannel does not masquerade.
/// </summary>
public static class FlannelDelegate
{
    public const string DefaultSubnetFile = "/run/flannel/subnet.env";
    public const string DefaultDataDir = "/var/lib/cni/flannel";

    public static JsonObject Build(JsonObject config, FlannelSubnetEnv env)
    {
        var source = ConfigReader.OptionalObject(config, "delegate");
        if (source?["type"] is { } type && type.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "'delegate' dictionary, if present, must have (string) 'type' field");
        }

        if (source?.ContainsKey("name") == true)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "'delegate' dictionary must not have 'name' field, it'll be set by flannel");
        }

        if (source?.ContainsKey("ipam") == true)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel");
        }

        var result = (JsonObject?)source?.DeepClone() ?? [];
        if (ConfigReader.OptionalObject(config, "runtimeConfig") is { } runtimeConfig)
        {
            result["runtimeConfig"] = runtimeConfig.DeepClone();
        }

        result["name"] = ConfigReader.RequiredString(config, "name");
        result.TryAdd("type", "bridge");
        result.TryAdd("ipMasq", !env.IpMasq);
        result.TryAdd("mtu", env.Mtu);
        if (result["type"]!.GetValue<string>() == "bridge")
        {
            result.TryAdd("isGateway", true);
        }

        if (ConfigReader.OptionalString(config, "cniVersion") is { Length: > 0 } version)
        {
            result["cniVersion"] = version;
        }

        result["ipam"] = Ipam(config, env);
        return result;
    }

    private static JsonObject Ipam(JsonObject config, FlannelSubnetEnv env)
    {
        var ipam = (JsonObject?)ConfigReader.OptionalObject(config, "ipam")?.DeepClone() ?? [];
        ipam.TryAdd("type", "host-local");
        var ranges = new JsonArray();
        foreach (var subnet in new[] { env.Subnet, env.Ipv6Subnet }.OfType<IpPrefix>())
        {
            ranges.Add((JsonNode)new JsonArray((JsonNode)new JsonObject { ["subnet"] = subnet.ToString() }));
        }

        ipam["ranges"] = ranges;
        var routes = ConfigReader.OptionalArray(ipam, "routes", "ipam")?.DeepClone() as JsonArray ?? [];
        foreach (var network in env.Networks.Concat(env.Ipv6Networks))
        {
            routes.Add((JsonNode)new JsonObject { ["dst"] = network.ToString() });
        }

        ipam["routes"] = routes;
        return ipam;
    }

    /// <summary>
    /// The delegate as flannel saves it under dataDir: Go's json.Marshal of a map, so keys sorted at
    /// every level and no whitespace, which is what DEL reads back after a restart.
    /// </summary>
    public static string Serialize(JsonObject config) => Sorted(config)!.ToJsonString(s_goJson);

    private static readonly System.Text.Json.JsonSerializerOptions s_goJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };
}
