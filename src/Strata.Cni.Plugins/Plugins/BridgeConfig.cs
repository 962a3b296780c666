using System.Net.NetworkInformation;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>The options of the bridge plugin (plugins/main/bridge/bridge.go, NetConf and loadNetConf).</summary>
public sealed record BridgeConfig
{
    public string BridgeName { get; init; } = "cni0";

    public bool IsGateway { get; init; }

    public bool IsDefaultGateway { get; init; }

    public bool ForceAddress { get; init; }

    public bool IpMasq { get; init; }

    public int? Mtu { get; init; }

    public bool HairpinMode { get; init; }

    public bool PromiscMode { get; init; }

    /// <summary><c>enabledad</c>: keep duplicate address detection on the container interface.</summary>
    public bool EnableDad { get; init; }

    /// <summary><c>disableContainerInterface</c>: leave the container end down (layer 2 only).</summary>
    public bool DisableContainerInterface { get; init; }

    /// <summary>
    /// The container interface's MAC: <c>runtimeConfig.mac</c>, else <c>args.cni.mac</c>, else
    /// <c>MAC=</c> in CNI_ARGS; null lets the kernel pick a random one, as upstream does.
    /// </summary>
    public string? Mac { get; init; }

    /// <summary>ipam.type; empty means layer 2 only (no addresses).</summary>
    public string IpamType { get; init; } = string.Empty;

    /// <summary>The configuration's <c>dns</c>, when it sets anything (dnsConfSet).</summary>
    public JsonObject? Dns { get; init; }

    public bool IsLayer3 => IpamType.Length > 0;

    public static BridgeConfig Parse(CmdArgs args)
    {
        var config = args.Config!;
        int vlan = ConfigReader.OptionalInt(config, "vlan") ?? 0;
        if (vlan is < 0 or > 4094)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid VLAN ID {vlan} (must be between 0 and 4094)");
        }

        // Options upstream has that this plugin does not implement: refused, never silently ignored.
        if (vlan > 0 || config["vlanTrunk"] is not null)
        {
            throw Unsupported("vlan and vlanTrunk (VLAN filtering on the bridge)");
        }

        if (ConfigReader.OptionalBool(config, "macspoofchk", false))
        {
            throw Unsupported("macspoofchk (the nftables MAC spoof check)");
        }

        if (ConfigReader.OptionalBool(config, "portIsolation", false))
        {
            throw Unsupported("portIsolation");
        }

        switch (ConfigReader.OptionalString(config, "ipMasqBackend"))
        {
            case null or "iptables":
                break;
            case "nftables":
                throw Unsupported("ipMasqBackend \"nftables\" (use \"iptables\")");
            case var other:
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"unknown ipmasq backend \"{other}\"");
        }

        bool isDefaultGateway = ConfigReader.OptionalBool(config, "isDefaultGateway", false);
        var parsed = new BridgeConfig
        {
            BridgeName = ConfigReader.OptionalString(config, "bridge") is { Length: > 0 } name ? name : "cni0",
            IsDefaultGateway = isDefaultGateway,
            IsGateway = isDefaultGateway || ConfigReader.OptionalBool(config, "isGateway", false),
            ForceAddress = ConfigReader.OptionalBool(config, "forceAddress", false),
            IpMasq = ConfigReader.OptionalBool(config, "ipMasq", false),
            Mtu = ConfigReader.OptionalInt(config, "mtu") is > 0 and var mtu ? mtu : null,
            HairpinMode = ConfigReader.OptionalBool(config, "hairpinMode", false),
            PromiscMode = ConfigReader.OptionalBool(config, "promiscMode", false),
            EnableDad = ConfigReader.OptionalBool(config, "enabledad", false),
            DisableContainerInterface = ConfigReader.OptionalBool(config, "disableContainerInterface", false),
            Mac = ReadMac(config, args.Args),
            IpamType = ConfigReader.OptionalObject(config, "ipam") is { } ipam ? ConfigReader.OptionalString(ipam, "type", "ipam") ?? string.Empty : string.Empty,
            Dns = ConfigReader.OptionalObject(config, "dns") is { } dns ? BridgeResult.Dns(dns) : null,
        };
        if (InterfaceName.Validate(parsed.BridgeName) is { } problem)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"bridge: {problem}");
        }

        return parsed;
    }

    /// <summary>Parses the MAC the way the veth is created with it (net.ParseMAC's message, wrapped as makeVeth wraps it).</summary>
    public PhysicalAddress? ParsedMac()
    {
        if (Mac is null)
        {
            return null;
        }

        try
        {
            return MacAddress.Parse(Mac);
        }
        catch (FormatException)
        {
            throw new CniException(CniErrorCode.Internal, $"failed to make veth pair: address {Mac}: invalid MAC address");
        }
    }

    private static string? ReadMac(JsonObject config, IReadOnlyList<KeyValuePair<string, string>> cniArgs)
    {
        string? mac = MacFromCniArgs(cniArgs);
        if (ConfigReader.OptionalObject(config, "args") is { } args &&
            ConfigReader.OptionalObject(args, "cni", "args") is { } cni &&
            ConfigReader.OptionalString(cni, "mac", "args.cni") is { Length: > 0 } fromArgs)
        {
            mac = fromArgs;
        }

        if (ConfigReader.OptionalObject(config, "runtimeConfig") is { } runtime &&
            ConfigReader.OptionalString(runtime, "mac", "runtimeConfig") is { Length: > 0 } fromRuntime)
        {
            mac = fromRuntime;
        }

        return mac;
    }

    /// <summary>
    /// CNI_ARGS as types.LoadArgs reads them into bridge's MacEnvArgs: the keys are Go field names
    /// (<c>MAC</c>, <c>IgnoreUnknown</c>), and any other key is an error unless IgnoreUnknown is true.
    /// </summary>
    internal static string? MacFromCniArgs(IReadOnlyList<KeyValuePair<string, string>> cniArgs)
    {
        string? mac = null;
        bool ignoreUnknown = false;
        var unknown = new List<string>();
        foreach (var (key, value) in cniArgs)
        {
            switch (key)
            {
                case "MAC":
                    mac = value;
                    break;
                case "IgnoreUnknown":
                    ignoreUnknown = value.ToLowerInvariant() switch
                    {
                        "1" or "true" => true,
                        "0" or "false" => false,
                        var bad => throw new CniException(CniErrorCode.Internal, $"ARGS: error parsing value of pair \"{key}={value}\": boolean unmarshal error: invalid input {bad}"),
                    };
                    break;
                default:
                    unknown.Add($"{key}={value}");
                    break;
            }
        }

        if (unknown.Count > 0 && !ignoreUnknown)
        {
            throw new CniException(CniErrorCode.Internal, $"ARGS: unknown args [{string.Join(' ', unknown.Select(GoQuote))}]");
        }

        return mac is { Length: > 0 } ? mac : null;
    }

    /// <summary>Go's %q for plain text: double quotes, with backslashes and quotes escaped.</summary>
    internal static string GoQuote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static CniException Unsupported(string what) =>
        new(CniErrorCode.InvalidNetworkConfig, $"bridge: {what} is not supported by Strata's bridge plugin");
}
