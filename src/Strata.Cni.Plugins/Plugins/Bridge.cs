using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Iptables;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>The options of the bridge plugin (plugins/main/bridge/bridge.go, NetConf).</summary>
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

    public string? IpamType { get; init; }

    public JsonObject? Dns { get; init; }

    public static BridgeConfig Parse(JsonObject config)
    {
        if (ConfigReader.OptionalInt(config, "vlan") is > 0 || config["vlanTrunk"] is not null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "vlan and vlanTrunk are not supported by Strata's bridge plugin");
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
            IpamType = ConfigReader.OptionalObject(config, "ipam") is { } ipam ? ConfigReader.OptionalString(ipam, "type", "ipam") : null,
            Dns = ConfigReader.OptionalObject(config, "dns") is { Count: > 0 } dns ? dns : null,
        };
        if (InterfaceName.Validate(parsed.BridgeName) is { } problem)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"bridge: {problem}");
        }

        return parsed;
    }
}

/// <summary>
/// <c>bridge</c>: a veth pair from the container to a Linux bridge on the host, addresses from
/// the IPAM plugin, and optionally the gateway address on the bridge and masquerading
/// (containernetworking/plugins plugins/main/bridge). Runs in the host's network namespace.
/// </summary>
public sealed class Bridge : IPlugin
{
    public string Name => "bridge";

    public JsonObject Add(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args.Config!);
        if (config.HairpinMode && config.PromiscMode)
        {
            throw new CniException(CniErrorCode.Internal, "cannot set hairpin mode and promiscuous mode at the same time.");
        }

        using var nl = Rtnetlink.Open();
        var bridge = EnsureBridge(nl, config);
        using var container = PluginNetns.Open(args.Netns);
        using var inside = Rtnetlink.Open(container);
        if (inside.FindLink(args.IfName) is not null)
        {
            throw new CniException(CniErrorCode.Internal, $"container veth name provided ({args.IfName}) already exists");
        }

        string hostName = "veth" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        nl.AddLink(new VethSpec(hostName, args.IfName) { PeerNamespace = container, Mtu = config.Mtu, Master = config.BridgeName, Up = true });
        bool success = false;
        bool ipamAdded = false;
        try
        {
            nl.SetHairpin(hostName, config.HairpinMode);
            var result = new JsonObject();
            var interfaces = new JsonArray(
                (JsonNode)new JsonObject { ["name"] = config.BridgeName, ["mac"] = MacAddress.Format(bridge.Address) },
                new JsonObject { ["name"] = hostName, ["mac"] = MacAddress.Format(nl.GetLink(hostName).Address) },
                new JsonObject { ["name"] = args.IfName, ["mac"] = MacAddress.Format(inside.GetLink(args.IfName).Address), ["sandbox"] = args.Netns });
            result["interfaces"] = interfaces;

            if (config.IpamType is { Length: > 0 } ipamType)
            {
                var ipam = DelegatePlugin.Add(ipamType, args.StdinData, args);
                ipamAdded = true;
                var ips = ipam["ips"] as JsonArray ?? [];
                if (ips.Count == 0)
                {
                    throw new CniException(CniErrorCode.Internal, "IPAM plugin returned missing IP config");
                }

                var addresses = ips.OfType<JsonObject>().Select(ip => IpPrefix.Parse(ip["address"]!.GetValue<string>())).ToList();
                var routes = ipam["routes"] as JsonArray ?? [];
                var gateways = CalculateGateways(ips, routes, config);
                result["ips"] = new JsonArray(ips.Select(ip => (JsonNode)Reorder((JsonObject)ip!)).ToArray());
                if (routes.Count > 0)
                {
                    result["routes"] = routes.DeepClone();
                }

                result["dns"] = config.Dns?.DeepClone() ?? ipam["dns"]?.DeepClone() ?? new JsonObject();
                ConfigureContainer(container, inside, args.IfName, (JsonArray)result["ips"]!, routes);
                if (config.IsGateway)
                {
                    foreach (var gateway in gateways)
                    {
                        EnsureAddress(nl, config, gateway);
                    }

                    foreach (var family in gateways.Select(g => g.Family).Distinct())
                    {
                        File.WriteAllText(family == AddressFamily.InterNetwork ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding", "1");
                    }
                }

                if (config.IpMasq)
                {
                    foreach (var chain in MasqueradeChains(args.NetworkName, args.ContainerId, addresses))
                    {
                        new IptablesDriver(chain.Ipv6).Setup(chain.Chain);
                    }
                }
            }
            else
            {
                inside.SetLinkUp(args.IfName);
                result["dns"] = config.Dns?.DeepClone() ?? new JsonObject();
            }

            WaitUntilUp(nl, hostName);
            interfaces[1]!["mac"] = MacAddress.Format(nl.GetLink(hostName).Address);
            interfaces[0]!["mac"] = MacAddress.Format(nl.GetLink(config.BridgeName).Address);
            success = true;
            return Ordered(result);
        }
        finally
        {
            if (!success)
            {
                if (ipamAdded)
                {
                    TryDelegateDel(config, args);
                }

                if (nl.FindLink(hostName) is not null)
                {
                    nl.DeleteLink(hostName);
                }
            }
        }
    }

    public void Del(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args.Config!);
        if (args.Netns.Length > 0 && File.Exists(args.Netns.Contains('/') ? args.Netns : Path.Combine(NetworkNamespace.RunDirectory, args.Netns)))
        {
            using var container = PluginNetns.Open(args.Netns);
            using var inside = Rtnetlink.Open(container);
            if (inside.FindLink(args.IfName) is not null)
            {
                inside.DeleteLink(args.IfName);
            }
        }

        if (config.IpamType is { Length: > 0 } ipamType)
        {
            DelegatePlugin.Del(ipamType, args.StdinData, args);
            if (config.IpMasq)
            {
                foreach (bool ipv6 in new[] { false, true })
                {
                    new IptablesDriver(ipv6).Teardown(new IptablesChain("nat", ChainName.Format(args.NetworkName, args.ContainerId)) { EntryChains = ["POSTROUTING"] });
                }
            }
        }
    }

    public void Check(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args.Config!);
        var prev = args.Config!["prevResult"] as JsonObject ?? throw new CniException(CniErrorCode.Internal, "Required prevResult missing");
        using var nl = Rtnetlink.Open();
        if (nl.FindLink(config.BridgeName) is not { Kind: "bridge" })
        {
            throw new CniException(CniErrorCode.Internal, $"Error: Bridge {config.BridgeName} not found");
        }

        using var container = PluginNetns.Open(args.Netns);
        using var inside = Rtnetlink.Open(container);
        if (inside.FindLink(args.IfName) is null)
        {
            throw new CniException(CniErrorCode.Internal, $"Error: Container interface {args.IfName} not found");
        }

        var have = inside.GetAddresses(device: args.IfName).Select(a => a.Prefix.ToString()).ToHashSet();
        foreach (var ip in (prev["ips"] as JsonArray ?? []).OfType<JsonObject>())
        {
            string address = ip["address"]!.GetValue<string>();
            if (!have.Contains(address))
            {
                throw new CniException(CniErrorCode.Internal, $"Failed to match addr {address} on interface {args.IfName}");
            }
        }

        if (config.IpamType is { Length: > 0 } ipamType)
        {
            DelegatePlugin.Check(ipamType, args.StdinData, args);
        }

    }

    /// <summary>Finds or creates the bridge, then brings it up (ensureBridge).</summary>
    private static Link EnsureBridge(Rtnetlink nl, BridgeConfig config)
    {
        var existing = nl.FindLink(config.BridgeName);
        if (existing is null)
        {
            try
            {
                nl.AddLink(new BridgeSpec(config.BridgeName) { Mtu = config.Mtu });
            }
            catch (NetlinkException ex) when (ex.ErrnoName == "EEXIST")
            {
                // Another ADD made it first.
            }

            existing = nl.GetLink(config.BridgeName);
        }

        if (existing.Kind != "bridge")
        {
            throw new CniException(CniErrorCode.Internal, $"failed to create bridge \"{config.BridgeName}\": \"{config.BridgeName}\" already exists but is not a bridge");
        }

        if (config.PromiscMode)
        {
            nl.SetPromiscuous(config.BridgeName, on: true);
        }

        TryWrite($"/proc/sys/net/ipv6/conf/{config.BridgeName}/accept_ra", "0");
        nl.SetLinkUp(config.BridgeName);
        return nl.GetLink(config.BridgeName);
    }

    /// <summary>calcGateways: every IP is on interface 2; a missing gateway is the subnet's first address; isDefaultGateway adds a default route.</summary>
    private static List<IpPrefix> CalculateGateways(JsonArray ips, JsonArray routes, BridgeConfig config)
    {
        var gateways = new List<IpPrefix>();
        var defaultFound = new HashSet<AddressFamily>();
        foreach (var ip in ips.OfType<JsonObject>())
        {
            var address = IpPrefix.Parse(ip["address"]!.GetValue<string>());
            ip["interface"] = 2;
            if (ip["gateway"] is null && config.IsGateway)
            {
                ip["gateway"] = Ipam.IpMath.Next(address.Network.Address).ToString();
            }

            string? gateway = ip["gateway"]?.GetValue<string>();
            string defaultNet = address.IsIPv4 ? "0.0.0.0/0" : "::/0";
            if (config.IsDefaultGateway && !defaultFound.Contains(address.Family))
            {
                bool present = routes.OfType<JsonObject>().Any(r => r["gw"] is not null && r["dst"]?.GetValue<string>() == defaultNet);
                if (!present)
                {
                    var route = new JsonObject { ["dst"] = defaultNet };
                    if (gateway is not null)
                    {
                        route["gw"] = gateway;
                    }

                    routes.Add((JsonNode)route);
                }

                defaultFound.Add(address.Family);
            }

            if (config.IsGateway && gateway is not null)
            {
                gateways.Add(new IpPrefix(IPAddress.Parse(gateway), address.PrefixLength));
            }
        }

        return gateways;
    }

    /// <summary>ipam.ConfigureIface: addresses, link up, then routes (a route without gw uses the family's gateway).</summary>
    private static void ConfigureContainer(NetworkNamespace container, Rtnetlink inside, string ifName, JsonArray ips, JsonArray routes)
    {
        container.Run(() =>
        {
            TryWrite($"/proc/sys/net/ipv6/conf/{ifName}/accept_dad", "0");
            TryWrite($"/proc/sys/net/ipv4/conf/{ifName}/arp_notify", "1");
        });
        IPAddress? v4 = null, v6 = null;
        foreach (var ip in ips.OfType<JsonObject>())
        {
            var address = IpPrefix.Parse(ip["address"]!.GetValue<string>());
            inside.AddAddress(ifName, address, noDad: !address.IsIPv4);
            if (ip["gateway"]?.GetValue<string>() is { } gw)
            {
                var gateway = IPAddress.Parse(gw);
                if (gateway.AddressFamily == AddressFamily.InterNetwork)
                {
                    v4 ??= gateway;
                }
                else
                {
                    v6 ??= gateway;
                }
            }
        }

        inside.SetLinkUp(ifName);
        foreach (var route in routes.OfType<JsonObject>())
        {
            var destination = IpPrefix.Parse(route["dst"]!.GetValue<string>());
            var via = route["gw"]?.GetValue<string>() is { } g ? IPAddress.Parse(g) : destination.IsIPv4 ? v4 : v6;
            inside.AddRoute(new Route(destination.Network) { Gateway = via, Device = ifName, Scope = via is null ? Scope.Link : Scope.Universe });
        }
    }

    /// <summary>ensureAddr: the gateway on the bridge; another IPv4 address there is an error unless forceAddress.</summary>
    private static void EnsureAddress(Rtnetlink nl, BridgeConfig config, IpPrefix gateway)
    {
        foreach (var existing in nl.GetAddresses(gateway.Family, config.BridgeName))
        {
            if (existing.Prefix == gateway)
            {
                return;
            }

            bool conflicts = gateway.IsIPv4 || existing.Prefix.Contains(gateway.Address) || gateway.Contains(existing.Prefix.Address);
            if (conflicts && existing.Prefix.Address.IsIPv6LinkLocal == false)
            {
                if (!config.ForceAddress)
                {
                    throw new CniException(CniErrorCode.Internal, $"failed to set bridge addr: \"{config.BridgeName}\" already has an IP address different from {gateway}");
                }

                nl.DeleteAddress(config.BridgeName, existing.Prefix);
            }
        }

        nl.AddAddress(config.BridgeName, gateway, noDad: !gateway.IsIPv4);
    }

    /// <summary>The chain masquerading the container's traffic (pkg/ip/ipmasq_iptables_linux.go), one per family.</summary>
    internal static IEnumerable<(bool Ipv6, IptablesChain Chain)> MasqueradeChains(string network, string containerId, IReadOnlyList<IpPrefix> addresses)
    {
        string name = ChainName.Format(network, containerId);
        string comment = ChainName.Comment(network, containerId);
        foreach (var family in addresses.GroupBy(a => a.IsIPv4))
        {
            string multicast = family.Key ? "224.0.0.0/4" : "ff00::/8";
            var rules = new List<IReadOnlyList<string>>();
            foreach (var address in family)
            {
                rules.Add(["-d", address.Network.ToString(), "-j", "ACCEPT", "-m", "comment", "--comment", comment]);
            }

            rules.Add(["!", "-d", multicast, "-j", "MASQUERADE", "-m", "comment", "--comment", comment]);
            yield return (!family.Key, new IptablesChain("nat", name)
            {
                Rules = rules,
                EntryChains = ["POSTROUTING"],
                EntryRules = family.Select(a => (IReadOnlyList<string>)["-s", a.Address.ToString(), "-m", "comment", "--comment", comment]).ToList(),
            });
        }
    }

    /// <summary>The bridge port takes a moment to leave "down"; upstream waits up to about 2.5 s.</summary>
    private static void WaitUntilUp(Rtnetlink nl, string hostName)
    {
        foreach (int delay in new[] { 0, 50, 500, 1000, 1000 })
        {
            Thread.Sleep(delay);
            if (nl.GetLink(hostName).OperState == OperState.Up)
            {
                return;
            }
        }

        throw new CniException(CniErrorCode.Internal, $"bridge port in error state: {nl.GetLink(hostName).OperState.ToString().ToLowerInvariant()}");
    }

    private static void TryDelegateDel(BridgeConfig config, CmdArgs args)
    {
        try
        {
            DelegatePlugin.Del(config.IpamType!, args.StdinData, args);
        }
        catch (CniException)
        {
            // The ADD's own error is the one to report.
        }
    }

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // As upstream: these sysctls are best effort (IPv6 may be disabled).
        }
    }

    /// <summary>Result fields in upstream's order (pkg/types/100: interface, address, gateway).</summary>
    private static JsonObject Reorder(JsonObject ip)
    {
        var ordered = new JsonObject();
        foreach (string key in new[] { "interface", "address", "gateway" }.Concat(ip.Select(p => p.Key)).Distinct())
        {
            if (ip[key] is { } value)
            {
                ordered[key] = value.DeepClone();
            }
        }

        return ordered;
    }

    private static JsonObject Ordered(JsonObject result)
    {
        var ordered = new JsonObject();
        foreach (string key in new[] { "interfaces", "ips", "routes", "dns" })
        {
            if (result[key] is { } value)
            {
                ordered[key] = value.DeepClone();
            }
        }

        return ordered;
    }
}
