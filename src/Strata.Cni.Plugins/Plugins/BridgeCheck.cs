using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// CHECK for the bridge plugin (bridge.go cmdCheck): the bridge, the container's veth and its
/// host peer on the bridge must be as prevResult lists them, and the container must still have
/// prevResult's addresses and routes (pkg/ip/utils_linux.go). Messages are upstream's.
/// </summary>
internal static class BridgeCheck
{
    private const uint IFF_PROMISC = 0x100;

    private sealed record Found(string Name, int Index, int PeerIndex, int MasterIndex);

    public static void Run(BridgeConfig config, CmdArgs args)
    {
        using var container = PluginNetns.Open(args.Netns);

        // Upstream asks the IPAM plugin even without one (and fails with "no plugin name provided").
        if (config.IsLayer3)
        {
            DelegatePlugin.Check(config.IpamType, args.StdinData, args);
        }

        var prev = args.Config!["prevResult"] as JsonObject ?? throw Error("Required prevResult missing");
        var interfaces = (prev["interfaces"] as JsonArray ?? []).OfType<JsonObject>().ToList();

        JsonObject bridgeEntry = new(), containerEntry = new();
        foreach (var entry in interfaces)
        {
            if (Text(entry, "name") == config.BridgeName)
            {
                bridgeEntry = entry;
            }
            else if (Text(entry, "name") == args.IfName && Text(entry, "sandbox") == args.Netns)
            {
                containerEntry = entry;
            }
        }

        using var nl = Rtnetlink.Open();
        var bridge = ValidateBridge(nl, bridgeEntry, config);

        if (args.Netns != Text(containerEntry, "sandbox"))
        {
            throw Error($"Sandbox in prevResult {Text(containerEntry, "sandbox")} doesn't match configured netns: {args.Netns}");
        }

        using var inside = Rtnetlink.Open(container);
        var containerLink = ValidateContainer(inside, containerEntry);

        Found? veth = null;
        foreach (var entry in interfaces)
        {
            if (Text(entry, "name") == Text(bridgeEntry, "name") || Text(entry, "name") == Text(containerEntry, "name"))
            {
                continue;
            }

            veth = ValidateHostVeth(nl, entry, bridge, containerLink);
            if (veth is not null)
            {
                break;
            }
        }

        if (veth is null)
        {
            throw Error($"CNI veth created for bridge {config.BridgeName} was not found");
        }

        ValidateAddresses(inside, args.IfName, (prev["ips"] as JsonArray ?? []).OfType<JsonObject>());
        ValidateRoutes(inside, (prev["routes"] as JsonArray ?? []).OfType<JsonObject>());
    }

    /// <summary>validateInterface: named, present in this namespace, and in a sandbox or not as expected.</summary>
    private static Link ValidateInterface(Rtnetlink nl, JsonObject entry, bool expectInSandbox)
    {
        string name = Text(entry, "name");
        if (name.Length == 0)
        {
            throw Error("Interface name missing ");
        }

        var link = (InterfaceName.Validate(name) is null ? nl.FindLink(name) : null) ?? throw Error($"Interface name {name} not found");
        string sandbox = Text(entry, "sandbox");
        if (expectInSandbox && sandbox.Length == 0)
        {
            throw Error($"Interface {name} is expected to be in a sandbox");
        }

        if (!expectInSandbox && sandbox.Length > 0)
        {
            throw Error($"Interface {name} should not be in sandbox");
        }

        return link;
    }

    private static Found ValidateBridge(Rtnetlink nl, JsonObject entry, BridgeConfig config)
    {
        var link = ValidateInterface(nl, entry, expectInSandbox: false);
        if (link.Kind != "bridge")
        {
            throw Error($"Interface {link.Name} does not have link type of bridge");
        }

        string mac = Text(entry, "mac");
        if (mac.Length > 0 && mac != MacAddress.Format(link.Address))
        {
            throw Error($"Bridge interface {link.Name} Mac doesn't match: {mac}");
        }

        bool promisc = (link.Flags & IFF_PROMISC) != 0;
        if (promisc != config.PromiscMode)
        {
            throw Error($"Bridge interface {link.Name} configured Promisc Mode {GoBool(config.PromiscMode)} doesn't match current state: {GoBool(promisc)} ");
        }

        return new Found(link.Name, link.Index, 0, link.MasterIndex ?? 0);
    }

    private static Found ValidateContainer(Rtnetlink inside, JsonObject entry)
    {
        var link = ValidateInterface(inside, entry, expectInSandbox: true);
        if (link.Kind != "veth")
        {
            throw Error($"Error: Container interface {link.Name} not of type veth");
        }

        int peer = link.ParentIndex is > 0 and var p ? p : throw Error($"Unable to obtain veth peer index for veth {link.Name}");
        string mac = Text(entry, "mac");
        if (mac.Length > 0 && mac != MacAddress.Format(link.Address))
        {
            throw Error($"Interface {link.Name} Mac {mac} doesn't match container Mac: {MacAddress.Format(link.Address)}");
        }

        return new Found(link.Name, link.Index, peer, 0);
    }

    /// <summary>validateCniVethInterface: null for an interface that is not this container's port on the bridge.</summary>
    private static Found? ValidateHostVeth(Rtnetlink nl, JsonObject entry, Found bridge, Found container)
    {
        var link = ValidateInterface(nl, entry, expectInSandbox: false);
        if (link.Kind != "veth")
        {
            return null; // not what CNI created
        }

        int peer = link.ParentIndex is > 0 and var p ? p : throw Error($"Unable to obtain veth peer index for veth {link.Name}");
        if (link.Index != container.PeerIndex || peer != container.Index || link.MasterIndex != bridge.Index)
        {
            return null;
        }

        string mac = Text(entry, "mac");
        if (mac.Length > 0 && mac != MacAddress.Format(link.Address))
        {
            throw Error($"Interface {link.Name} Mac doesn't match: {mac} not found");
        }

        return new Found(link.Name, link.Index, peer, link.MasterIndex ?? 0);
    }

    /// <summary>ip.ValidateExpectedInterfaceIPs: each address is on the interface, and its subnet has a route.</summary>
    private static void ValidateAddresses(Rtnetlink inside, string ifName, IEnumerable<JsonObject> ips)
    {
        foreach (var ip in ips)
        {
            var expected = IpPrefix.Parse(Text(ip, "address"));
            if (inside.FindLink(ifName) is null)
            {
                throw Error($"Cannot find container link {ifName}");
            }

            if (!inside.GetAddresses(AddressFamily.Unspecified, ifName).Any(a => a.Prefix == expected))
            {
                throw Error($"Failed to match addr {expected} on interface {ifName}");
            }

            if (!inside.GetRoutes(expected.Family).Any(r => r.Destination == expected.Network))
            {
                string gateway = Text(ip, "gateway") is { Length: > 0 } gw ? gw : "<nil>";
                throw Error($"Failed to find Gateway {gateway} for interface {ifName}");
            }
        }
    }

    /// <summary>ip.ValidateExpectedRoute: each route is in the main table (a default route by destination alone).</summary>
    private static void ValidateRoutes(Rtnetlink inside, IEnumerable<JsonObject> routes)
    {
        foreach (var route in routes)
        {
            var destination = IpPrefix.Parse(Text(route, "dst"));
            IPAddress? gateway = Text(route, "gw") is { Length: > 0 } gw ? IPAddress.Parse(gw) : null;
            bool isDefault = destination.PrefixLength == 0;
            bool found = inside.GetRoutes(destination.Family).Any(r =>
                r.Destination == destination.Network && (isDefault || gateway is null || gateway.Equals(r.Gateway)));
            if (!found)
            {
                throw Error($"Expected Route {GoRoute(route, destination, gateway)} not found in routing table");
            }
        }
    }

    /// <summary>types.Route.String(), with the destination as Go prints a net.IPNet value.</summary>
    private static string GoRoute(JsonObject route, IpPrefix destination, IPAddress? gateway)
    {
        byte[] mask = new byte[destination.IsIPv4 ? 4 : 16];
        for (int bit = 0; bit < destination.PrefixLength; bit++)
        {
            mask[bit / 8] |= (byte)(0x80 >> (bit % 8));
        }

        string Number(string field) => route[field] is JsonValue v && v.TryGetValue(out int n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        string Optional(string field) => route[field] is JsonValue v && v.TryGetValue(out int n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "<nil>";
        return $"{{Dst:{{IP:{destination.Network.Address} Mask:{Convert.ToHexStringLower(mask)}}} GW:{gateway?.ToString() ?? "<nil>"} " +
               $"MTU:{Number("mtu")} AdvMSS:{Number("advmss")} Priority:{Number("priority")} Table:{Optional("table")} Scope:{Optional("scope")}}}";
    }

    private static string Text(JsonObject entry, string field) =>
        entry[field] is JsonValue value && value.TryGetValue(out string? text) ? text : string.Empty;

    private static string GoBool(bool value) => value ? "true" : "false";

    private static CniException Error(string message) => new(CniErrorCode.Internal, message);
}
