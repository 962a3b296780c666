using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Iptables;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// <c>bridge</c>: a veth pair from the container to a Linux bridge on the host, addresses from
/// the IPAM plugin, and optionally the gateway address on the bridge and masquerading
/// (containernetworking/plugins plugins/main/bridge). It runs in the host's network namespace:
/// the bridge is made in the namespace the plugin is started in.
/// </summary>
public sealed class Bridge : IPlugin
{
    private const uint IFA_F_DADFAILED = 0x08;
    private const uint IFA_F_TENTATIVE = 0x40;

    public string Name => "bridge";

    public JsonObject Add(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args);
        if (config.IsLayer3 && config.DisableContainerInterface)
        {
            throw new CniException(CniErrorCode.Internal, "cannot use IPAM when DisableContainerInterface flag is set");
        }

        if (config.HairpinMode && config.PromiscMode)
        {
            // The reference (v1.1.1) prints the full stop; upstream has since dropped it.
            throw new CniException(CniErrorCode.Internal, "cannot set hairpin mode and promiscuous mode at the same time.");
        }

        // The namespace is opened first, so that a bad CNI_NETNS makes nothing.
        var mac = config.ParsedMac();
        using var container = PluginNetns.Open(args.Netns);
        using var inside = Rtnetlink.Open(container);
        using var nl = Rtnetlink.Open();
        var bridge = EnsureBridge(nl, config);

        string hostName = CreateVeth(nl, inside, container, config, args.IfName, mac);
        bool success = false;
        bool ipamAdded = false;
        bool masqueradeStarted = false;
        try
        {
            TryWrite($"/proc/sys/net/ipv6/conf/{hostName}/accept_ra", "0"); // we own this interface's routes
            try
            {
                nl.SetHairpin(hostName, config.HairpinMode);
            }
            catch (NetlinkException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"failed to setup hairpin mode for {hostName}: {ex.Message}");
            }

            var interfaces = new List<JsonObject>
            {
                new() { ["name"] = config.BridgeName, ["mac"] = MacAddress.Format(bridge.Address) },
                new() { ["name"] = hostName, ["mac"] = MacAddress.Format(nl.GetLink(hostName).Address) },
                new() { ["name"] = args.IfName, ["mac"] = MacAddress.Format(inside.GetLink(args.IfName).Address), ["sandbox"] = args.Netns },
            };
            List<JsonObject> ips = [];
            List<JsonObject> routes = [];
            JsonObject? dns = null;

            if (config.IsLayer3)
            {
                var ipam = DelegatePlugin.Add(config.IpamType, args.StdinData, args);
                ipamAdded = true;
                ips = BridgeResult.Ips(ipam, config.IpamType);
                routes = BridgeResult.Routes(ipam, config.IpamType);
                dns = ipam["dns"] is JsonObject ipamDns ? BridgeResult.Dns(ipamDns) : null;
                if (ips.Count == 0)
                {
                    throw new CniException(CniErrorCode.Internal, "IPAM plugin returned missing IP config");
                }

                var gateways = CalculateGateways(ips, routes, config);
                container.Run(() =>
                {
                    if (config.EnableDad)
                    {
                        TryWrite($"/proc/sys/net/ipv6/conf/{args.IfName}/enhanced_dad", "1");
                        TryWrite($"/proc/sys/net/ipv6/conf/{args.IfName}/accept_dad", "1");
                    }
                    else
                    {
                        TryWrite($"/proc/sys/net/ipv6/conf/{args.IfName}/accept_dad", "0");
                    }

                    TryWrite($"/proc/sys/net/ipv4/conf/{args.IfName}/arp_notify", "1");
                });
                ConfigureInterface(container, inside, args.IfName, ips, routes);

                if (config.IsGateway)
                {
                    foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
                    {
                        var familyGateways = gateways.Where(g => g.Family == family).ToList();
                        foreach (var gateway in familyGateways)
                        {
                            EnsureAddress(nl, config, bridge, gateway);
                        }

                        if (familyGateways.Count > 0)
                        {
                            EnableForwarding(family);
                        }
                    }
                }

                if (config.IpMasq)
                {
                    masqueradeStarted = true;
                    var addresses = ips.Select(ip => IpPrefix.Parse(ip["address"]!.GetValue<string>())).ToList();
                    foreach (var (ipv6, chain) in MasqueradeChains(args.NetworkName, args.ContainerId, addresses))
                    {
                        new IptablesDriver(ipv6).Setup(chain);
                    }
                }
            }
            else if (!config.DisableContainerInterface)
            {
                inside.SetLinkUp(args.IfName); // layer 2 only: still bring the container end up
            }

            if (!config.DisableContainerInterface)
            {
                WaitUntilForwarding(nl, hostName);
            }

            // The host end's MAC may have changed, and the bridge's when the port joined or its address was set.
            interfaces[1]["mac"] = MacAddress.Format(nl.GetLink(hostName).Address);
            interfaces[0]["mac"] = MacAddress.Format(nl.GetLink(config.BridgeName).Address);

            var result = new JsonObject { ["interfaces"] = BridgeResult.Array(interfaces) };
            if (ips.Count > 0)
            {
                result["ips"] = BridgeResult.Array(ips);
            }

            if (routes.Count > 0)
            {
                result["routes"] = BridgeResult.Array(routes);
            }

            result["dns"] = config.Dns?.DeepClone() ?? dns ?? new JsonObject();
            success = true;
            return result;
        }
        finally
        {
            if (!success)
            {
                // Upstream leaves the veth for the runtime's DEL; Strata removes what this ADD made.
                if (masqueradeStarted)
                {
                    TryTeardownMasquerade(args);
                }

                if (ipamAdded)
                {
                    TryDelegateDel(config, args);
                }

                try
                {
                    if (nl.FindLink(hostName) is not null)
                    {
                        nl.DeleteLink(hostName); // takes the container end along
                    }
                }
                catch (NetlinkException)
                {
                    // The ADD's own error is the one to report.
                }
            }
        }
    }

    public void Del(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args);
        string netnsPath = args.Netns.Length == 0 ? string.Empty : args.Netns.Contains('/') ? args.Netns : Path.Combine(NetworkNamespace.RunDirectory, args.Netns);

        // DEL may come many times, and after the namespace is gone: a missing namespace or link is not an error.
        if (netnsPath.Length > 0 && File.Exists(netnsPath))
        {
            using var container = PluginNetns.Open(args.Netns);
            using var inside = Rtnetlink.Open(container);
            if (inside.FindLink(args.IfName) is not null)
            {
                try
                {
                    inside.DeleteLink(args.IfName);
                }
                catch (NetlinkException ex)
                {
                    throw new CniException(CniErrorCode.Internal, $"failed to delete \"{args.IfName}\": {ex.Message}");
                }
            }
        }

        if (config.IsLayer3)
        {
            DelegatePlugin.Del(config.IpamType, args.StdinData, args);
        }

        // Upstream removes the rules only for the addresses it found on the container link; the
        // chain is named from the network and container alone, so Strata removes it even when
        // the namespace or the link is already gone, and nothing is left behind.
        if (config.IsLayer3 && config.IpMasq)
        {
            foreach (bool ipv6 in new[] { false, true })
            {
                new IptablesDriver(ipv6).Teardown(MasqueradeChainName(args.NetworkName, args.ContainerId));
            }
        }
    }

    public void Check(CmdArgs args) => BridgeCheck.Run(BridgeConfig.Parse(args), args);

    public void Status(CmdArgs args)
    {
        var config = BridgeConfig.Parse(args);
        if (config.IsLayer3)
        {
            DelegatePlugin.Status(config.IpamType, args.StdinData, args);
        }
    }

    /// <summary>ensureBridge: create it (or find it), promiscuous if asked, accept_ra off, up. Returns it as it is before any port joins.</summary>
    private static Link EnsureBridge(Rtnetlink nl, BridgeConfig config)
    {
        try
        {
            if (nl.FindLink(config.BridgeName) is null)
            {
                try
                {
                    nl.AddLink(new BridgeSpec(config.BridgeName) { Mtu = config.Mtu });
                }
                catch (NetlinkException ex) when (ex.ErrnoName == "EEXIST")
                {
                    // Another ADD made it first.
                }
            }

            var existing = nl.GetLink(config.BridgeName);
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
        catch (NetlinkException ex)
        {
            throw new CniException(CniErrorCode.Internal, $"failed to create bridge \"{config.BridgeName}\": {ex.Message}");
        }
    }

    /// <summary>
    /// setupVeth: the pair is made from the host with its peer placed directly in the container
    /// namespace under CNI_IFNAME, the host end named veth + 8 random hex digits, up, on the bridge.
    /// </summary>
    private static string CreateVeth(Rtnetlink nl, Rtnetlink inside, NetworkNamespace container, BridgeConfig config, string ifName, PhysicalAddress? mac)
    {
        if (inside.FindLink(ifName) is not null)
        {
            throw new CniException(CniErrorCode.Internal, $"container veth name provided ({ifName}) already exists");
        }

        for (int attempt = 0; attempt < 10; attempt++)
        {
            string hostName = "veth" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            if (nl.FindLink(hostName) is not null)
            {
                continue;
            }

            try
            {
                nl.AddLink(new VethSpec(hostName, ifName) { PeerNamespace = container, PeerAddress = mac, Mtu = config.Mtu, Up = true });
            }
            catch (NetlinkException ex) when (ex.ErrnoName == "EEXIST")
            {
                if (inside.FindLink(ifName) is not null)
                {
                    throw new CniException(CniErrorCode.Internal, $"container veth name provided ({ifName}) already exists");
                }

                continue; // the random host name was taken meanwhile
            }
            catch (NetlinkException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"failed to make veth pair: {ex.Message}");
            }

            try
            {
                nl.SetMaster(hostName, config.BridgeName);
            }
            catch (NetlinkException ex)
            {
                nl.DeleteLink(hostName);
                throw new CniException(CniErrorCode.Internal, $"failed to connect \"{hostName}\" to bridge {config.BridgeName}: {ex.Message}");
            }

            return hostName;
        }

        throw new CniException(CniErrorCode.Internal, "failed to find a unique veth name");
    }

    /// <summary>calcGateways: every IP is on interface 2; a missing gateway is the subnet's first address; isDefaultGateway adds a default route per family.</summary>
    internal static List<IpPrefix> CalculateGateways(List<JsonObject> ips, List<JsonObject> routes, BridgeConfig config)
    {
        var gateways = new List<IpPrefix>();
        var defaultFound = new HashSet<AddressFamily>();
        for (int i = 0; i < ips.Count; i++)
        {
            var address = IpPrefix.Parse(ips[i]["address"]!.GetValue<string>());

            // All IPs are on the container interface; IPConfig's field order is interface, address, gateway.
            var ip = new JsonObject { ["interface"] = 2, ["address"] = address.ToString() };
            if (ips[i]["gateway"] is { } given)
            {
                ip["gateway"] = given.DeepClone();
            }
            else if (config.IsGateway)
            {
                ip["gateway"] = NextAddress(address.Network.Address).ToString();
            }

            ips[i] = ip;
            string? gateway = ip["gateway"]?.GetValue<string>();
            var defaultNet = new IpPrefix(address.IsIPv4 ? IPAddress.Any : IPAddress.IPv6Any, 0);
            if (config.IsDefaultGateway && !defaultFound.Contains(address.Family))
            {
                bool present = routes.Any(r => r["gw"] is not null && IpPrefix.Parse(r["dst"]!.GetValue<string>()).Network == defaultNet);
                if (!present)
                {
                    var route = new JsonObject { ["dst"] = defaultNet.ToString() };
                    if (gateway is not null)
                    {
                        route["gw"] = gateway;
                    }

                    routes.Add(route);
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

    /// <summary>ipam.ConfigureIface: addresses (IPv6 enabled first), link up, IPv6 settled, then routes (a route without gw uses its family's gateway).</summary>
    private static void ConfigureInterface(NetworkNamespace container, Rtnetlink inside, string ifName, List<JsonObject> ips, List<JsonObject> routes)
    {
        IPAddress? v4 = null, v6 = null;
        bool ipv6Enabled = false;
        foreach (var ip in ips)
        {
            var address = IpPrefix.Parse(ip["address"]!.GetValue<string>());
            if (!address.IsIPv4 && !ipv6Enabled)
            {
                container.Run(() => EnableIpv6(ifName));
                ipv6Enabled = true;
            }

            try
            {
                inside.AddAddress(ifName, address, broadcast: true);
            }
            catch (NetlinkException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"failed to add IP addr {address} to \"{ifName}\": {ex.Message}");
            }

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

        try
        {
            inside.SetLinkUp(ifName);
        }
        catch (NetlinkException ex)
        {
            throw new CniException(CniErrorCode.Internal, $"failed to set \"{ifName}\" UP: {ex.Message}");
        }

        if (v6 is not null)
        {
            SettleAddresses(inside, ifName, TimeSpan.FromSeconds(5));
        }

        foreach (var route in routes)
        {
            var destination = IpPrefix.Parse(route["dst"]!.GetValue<string>());
            var via = route["gw"]?.GetValue<string>() is { } g ? IPAddress.Parse(g) : destination.IsIPv4 ? v4 : v6;
            try
            {
                inside.AddRoute(new Route(destination.Network)
                {
                    Gateway = via,
                    Device = ifName,
                    // vishvananda/netlink leaves the scope at universe unless the route names one.
                    Scope = route["scope"] is JsonValue scope && scope.TryGetValue(out int s) ? (Scope)s : Scope.Universe,
                    Metric = route["priority"] is JsonValue priority && priority.TryGetValue(out uint metric) && metric > 0 ? metric : null,
                    Table = route["table"] is JsonValue table && table.TryGetValue(out uint t) ? t : null,
                });
            }
            catch (NetlinkException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"failed to add route '{destination.Network} via {via?.ToString() ?? "<nil>"} dev {ifName}': {ex.Message}");
            }
        }
    }

    /// <summary>Runs inside the container: disable_ipv6 = 0 on lo and the interface, keep_addr_on_down = 1 on the interface.</summary>
    private static void EnableIpv6(string ifName)
    {
        foreach (string device in new[] { "lo", ifName })
        {
            string path = $"/proc/sys/net/ipv6/conf/{device}/disable_ipv6";
            string value;
            try
            {
                value = File.ReadAllText(path).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"ipam_linux: failed to read sysctl \"net/ipv6/conf/{device}/disable_ipv6\": {ex.Message}");
                continue;
            }

            if (value != "0")
            {
                try
                {
                    File.WriteAllText(path, "0");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CniException(CniErrorCode.Internal, $"failed to enable IPv6 for interface \"{device}\" (net/ipv6/conf/{device}/disable_ipv6={value}): {ex.Message}");
                }
            }
        }

        try
        {
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{ifName}/keep_addr_on_down", "1");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.Internal, $"failed to enable keep_addr_on_down for interface \"{ifName}\": {ex.Message}");
        }
    }

    /// <summary>ip.SettleAddresses: wait until no IPv6 address on the link is tentative.</summary>
    private static void SettleAddresses(Rtnetlink inside, string ifName, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var addresses = inside.GetAddresses(AddressFamily.InterNetworkV6, ifName);
            if (addresses.FirstOrDefault(a => (a.Flags & IFA_F_DADFAILED) != 0) is { } failed)
            {
                throw new CniException(CniErrorCode.Internal, $"link {ifName} has address {failed.Prefix.Address} in DADFAILED state");
            }

            if (!addresses.Any(a => (a.Flags & IFA_F_TENTATIVE) != 0))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                if (inside.GetLink(ifName).OperState == OperState.Up)
                {
                    throw new CniException(CniErrorCode.Internal, $"link {ifName} still has tentative addresses after {timeout.TotalSeconds:0} seconds");
                }

                return;
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// ensureAddr: the gateway on the bridge. Another IPv4 address there, or an overlapping IPv6
    /// one, is an error unless forceAddress. Then the bridge's MAC is set to the one it had before
    /// any port joined, so that it stops following the lowest port MAC as ports come and go.
    /// </summary>
    private static void EnsureAddress(Rtnetlink nl, BridgeConfig config, Link bridge, IpPrefix gateway)
    {
        foreach (var existing in nl.GetAddresses(gateway.Family, config.BridgeName))
        {
            if (existing.Prefix == gateway)
            {
                return;
            }

            if (gateway.IsIPv4 || existing.Prefix.Contains(gateway.Address) || gateway.Contains(existing.Prefix.Address))
            {
                if (!config.ForceAddress)
                {
                    throw new CniException(CniErrorCode.Internal, $"failed to set bridge addr: \"{config.BridgeName}\" already has an IP address different from {gateway}");
                }

                try
                {
                    nl.DeleteAddress(config.BridgeName, existing.Prefix);
                }
                catch (NetlinkException ex)
                {
                    throw new CniException(CniErrorCode.Internal, $"failed to set bridge addr: could not remove IP address from \"{config.BridgeName}\": {ex.Message}");
                }
            }
        }

        try
        {
            nl.AddAddress(config.BridgeName, gateway, broadcast: true);
        }
        catch (NetlinkException ex) when (ex.ErrnoName != "EEXIST")
        {
            throw new CniException(CniErrorCode.Internal, $"failed to set bridge addr: could not add IP address {gateway} to \"{config.BridgeName}\": {ex.Message}");
        }
        catch (NetlinkException)
        {
            // Another ADD added it first.
        }

        if (bridge.Address is { } mac)
        {
            try
            {
                nl.SetMacAddress(config.BridgeName, mac);
            }
            catch (NetlinkException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"failed to set bridge addr: could not set bridge's mac: {ex.Message}");
            }
        }
    }

    /// <summary>ip.EnableIP4Forward / EnableIP6Forward: write 1 unless it is already 1.</summary>
    private static void EnableForwarding(AddressFamily family)
    {
        string path = family == AddressFamily.InterNetwork ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding";
        try
        {
            if (File.ReadAllText(path).Trim() != "1")
            {
                File.WriteAllText(path, "1");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.Internal, $"failed to enable forwarding: {ex.Message}");
        }
    }

    /// <summary>
    /// The chain masquerading the container's traffic (pkg/ip/ipmasq_iptables_linux.go), one per
    /// family, with upstream's rule order: for each address an ACCEPT for its subnet, then the
    /// MASQUERADE rule once; and one POSTROUTING jump per address.
    /// </summary>
    internal static IEnumerable<(bool Ipv6, IptablesChain Chain)> MasqueradeChains(string network, string containerId, IReadOnlyList<IpPrefix> addresses)
    {
        string comment = ChainName.Comment(network, containerId);
        foreach (var family in addresses.GroupBy(a => a.IsIPv4))
        {
            string multicast = family.Key ? "224.0.0.0/4" : "ff00::/8";
            IReadOnlyList<string> masquerade = ["!", "-d", multicast, "-j", "MASQUERADE", "-m", "comment", "--comment", comment];
            var rules = new List<IReadOnlyList<string>>();
            foreach (var address in family)
            {
                IReadOnlyList<string> accept = ["-d", address.Network.ToString(), "-j", "ACCEPT", "-m", "comment", "--comment", comment];
                if (!rules.Any(r => r.SequenceEqual(accept)))
                {
                    rules.Add(accept);
                }

                if (!rules.Contains(masquerade))
                {
                    rules.Add(masquerade);
                }
            }

            yield return (!family.Key, MasqueradeChainName(network, containerId) with
            {
                Rules = rules,
                EntryRules = family.Select(a => (IReadOnlyList<string>)["-s", a.Address.ToString(), "-m", "comment", "--comment", comment]).ToList(),
            });
        }
    }

    /// <summary>utils.FormatChainName: "CNI-" and the start of sha512(network + containerID) in hex, 28 characters in all.</summary>
    private static IptablesChain MasqueradeChainName(string network, string containerId) =>
        new("nat", ChainName.Format(network, containerId)) { EntryChains = ["POSTROUTING"] };

    /// <summary>The bridge port takes a moment to leave "down"; upstream waits up to about 2.5 s.</summary>
    private static void WaitUntilForwarding(Rtnetlink nl, string hostName)
    {
        foreach (int delay in new[] { 0, 50, 500, 1000, 1000 })
        {
            Thread.Sleep(delay);
            if (nl.GetLink(hostName).OperState == OperState.Up)
            {
                return;
            }
        }

        throw new CniException(CniErrorCode.Internal, $"bridge port in error state: {OperStateName(nl.GetLink(hostName).OperState)}");
    }

    /// <summary>netlink.LinkOperState's names, as upstream prints them.</summary>
    private static string OperStateName(OperState state) => state switch
    {
        OperState.NotPresent => "not-present",
        OperState.LowerLayerDown => "lower-layer-down",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static IPAddress NextAddress(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            if (++bytes[i] != 0)
            {
                break;
            }
        }

        return new IPAddress(bytes);
    }

    private static void TryDelegateDel(BridgeConfig config, CmdArgs args)
    {
        try
        {
            DelegatePlugin.Del(config.IpamType, args.StdinData, args);
        }
        catch (CniException)
        {
            // The ADD's own error is the one to report.
        }
    }

    private static void TryTeardownMasquerade(CmdArgs args)
    {
        foreach (bool ipv6 in new[] { false, true })
        {
            try
            {
                new IptablesDriver(ipv6).Teardown(MasqueradeChainName(args.NetworkName, args.ContainerId));
            }
            catch (CniException)
            {
                // The ADD's own error is the one to report.
            }
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
}
