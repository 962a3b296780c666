using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Strata.Netlink.Tests;

/// <summary>Addresses, differential against iproute2: made by us and read by <c>ip -j -d addr</c>, and the other way round.</summary>
public sealed class AddressTests
{
    [RootFact]
    public void Ipv4_and_ipv6_addresses_we_add_are_what_ip_shows()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        int index = nl.AddLink(new VethSpec("eth0", "peer0") { Up = true });
        nl.AddAddress("eth0", IpPrefix.Parse("10.233.64.1/24"));
        nl.AddAddress(index, IpPrefix.Parse("10.233.99.1/32"), Scope.Link);
        nl.AddAddress("eth0", IpPrefix.Parse("2001:db8:1::1/64"), noDad: true);
        nl.AddAddress(index, IpPrefix.Parse("2001:db8:2::1/64"), noDad: true);
        nl.AddAddress("lo", IpPrefix.Parse("127.0.0.2/8"), Scope.Host);

        Assert.Equal(
            [
                "inet 10.233.64.1/24 scope global label eth0",
                "inet 10.233.99.1/32 scope link label eth0",
                "inet6 2001:db8:1::1/64 scope global nodad",
                "inet6 2001:db8:2::1/64 scope global nodad",
            ],
            IpAddresses(ns.Name, "eth0").Where(a => !IsLinkLocal(a)).Select(Describe).Order());
        Assert.Equal(["inet 127.0.0.2/8 scope host label lo"], IpAddresses(ns.Name, "lo").Select(Describe));

        // noDad: the addresses are usable at once, not tentative.
        Assert.DoesNotContain(IpAddresses(ns.Name, "eth0"), a => a.GetProperty("local").GetString()!.StartsWith("2001:") && a.TryGetProperty("tentative", out _));

        // The kernel made the prefix route for the /24, as it does for `ip addr add`.
        var prefixRoute = Tool.IpJson(ns.Name, "route", "show", "10.233.64.0/24").EnumerateArray().Single();
        Assert.Equal("kernel", prefixRoute.GetProperty("protocol").GetString());
        Assert.Equal("10.233.64.1", prefixRoute.GetProperty("prefsrc").GetString());
    }

    [RootFact]
    public void Broadcast_is_what_ip_addr_add_brd_plus_sets_and_none_for_31_and_32()
    {
        using var ours = ScratchNamespace.Create();
        using var theirs = ScratchNamespace.Create();
        foreach (var ns in new[] { ours, theirs })
        {
            ns.Netlink.AddLink(new VethSpec("eth0", "peer0"));
        }

        string[] prefixes = ["10.22.0.2/16", "10.23.0.5/30", "10.24.0.1/31", "10.25.0.1/32"];
        foreach (string prefix in prefixes)
        {
            ours.Netlink.AddAddress("eth0", IpPrefix.Parse(prefix), broadcast: true);
            Tool.Ip(theirs.Name, ["addr", "add", prefix, .. IpPrefix.Parse(prefix).PrefixLength < 31 ? new[] { "brd", "+" } : [], "dev", "eth0"]);
        }

        static List<string> Broadcasts(string ns) => Tool.IpJson(ns, "-4", "addr", "show", "dev", "eth0")[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()} brd {(a.TryGetProperty("broadcast", out var b) ? b.GetString() : "-")}")
            .ToList();

        Assert.Equal(Broadcasts(theirs.Name), Broadcasts(ours.Name));
        Assert.Equal(["10.22.0.2/16 brd 10.22.255.255", "10.23.0.5/30 brd 10.23.0.7", "10.24.0.1/31 brd -", "10.25.0.1/32 brd -"], Broadcasts(ours.Name));
    }

    [RootFact]
    public void Addresses_added_by_ip_are_decoded_like_ip_prints_them()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Tool.Ip(ns.Name, "link", "set", "eth0", "up");
        Tool.Ip(ns.Name, "addr", "add", "10.0.0.1/24", "dev", "eth0", "label", "eth0:web");
        Tool.Ip(ns.Name, "addr", "add", "10.0.0.2/24", "dev", "eth0");
        Tool.Ip(ns.Name, "addr", "add", "192.168.5.1/32", "dev", "eth0", "scope", "link");
        Tool.Ip(ns.Name, "addr", "add", "172.16.0.1/16", "dev", "peer0", "label", "peer0:a");
        Tool.Ip(ns.Name, "-6", "addr", "add", "2001:db8::7/64", "dev", "eth0", "nodad");
        Tool.Ip(ns.Name, "addr", "add", "127.0.0.9/8", "dev", "lo", "scope", "host");

        var expected = Tool.IpJson(ns.Name, "addr", "show").EnumerateArray()
            .SelectMany(link => link.GetProperty("addr_info").EnumerateArray()
                .Select(a => $"{link.GetProperty("ifindex").GetInt32()} {Describe(a)}{(a.TryGetProperty("secondary", out _) ? " secondary" : string.Empty)}"))
            .Order().ToList();
        var actual = ns.Netlink.GetAddresses().Select(a => $"{a.LinkIndex} {Describe(a)}").Order().ToList();
        Assert.Equal(expected, actual);
        Assert.Contains(actual, a => a.EndsWith("inet 10.0.0.1/24 scope global label eth0:web"));
        Assert.Contains(actual, a => a.EndsWith("inet 10.0.0.2/24 scope global label eth0 secondary"));

        // The family and device filters.
        Assert.Equal(["2001:db8::7/64"],
            ns.Netlink.GetAddresses(AddressFamily.InterNetworkV6, "eth0").Select(a => a.Prefix.ToString()).Where(p => !p.StartsWith("fe80:")));
        Assert.Equal(["10.0.0.1/24", "10.0.0.2/24", "127.0.0.9/8", "172.16.0.1/16", "192.168.5.1/32"],
            ns.Netlink.GetAddresses(AddressFamily.InterNetwork).Select(a => a.Prefix.ToString()).Order());
        Assert.Equal(["172.16.0.1/16"], ns.Netlink.GetAddresses(device: "peer0").Where(a => a.Prefix.IsIPv4).Select(a => a.Prefix.ToString()));

        // The owner of one address: the link and the prefix it was configured with.
        var (owner, owned) = ns.Netlink.FindAddressOwner(IPAddress.Parse("172.16.0.1"))!.Value;
        Assert.Equal(("peer0", "172.16.0.1/16"), (owner.Name, owned.Prefix.ToString()));
        Assert.Equal("eth0", ns.Netlink.FindAddressOwner(IPAddress.Parse("2001:db8::7"))?.Link.Name);
        Assert.Null(ns.Netlink.FindAddressOwner(IPAddress.Parse("10.0.0.3")));
    }

    [RootFact]
    public void Replace_behaves_like_ip_addr_replace()
    {
        using var byIp = ScratchNamespace.Create();
        using var byUs = ScratchNamespace.Create();
        foreach (var ns in new[] { byIp, byUs })
        {
            Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
            Tool.Ip(ns.Name, "addr", "add", "10.1.0.1/24", "dev", "eth0");
            Tool.Ip(ns.Name, "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad");
        }

        // Replacing an existing address is not an error, and replacing a missing one creates it.
        Tool.Ip(byIp.Name, "addr", "replace", "10.1.0.1/24", "dev", "eth0");
        Tool.Ip(byIp.Name, "addr", "replace", "10.1.0.2/24", "dev", "eth0");
        Tool.Ip(byIp.Name, "addr", "replace", "10.7.0.1/16", "dev", "eth0", "scope", "link");
        Tool.Ip(byIp.Name, "-6", "addr", "replace", "2001:db8::1/64", "dev", "eth0", "nodad");
        Tool.Ip(byIp.Name, "-6", "addr", "replace", "2001:db8::2/64", "dev", "eth0", "nodad");
        var nl = byUs.Netlink;
        nl.ReplaceAddress("eth0", IpPrefix.Parse("10.1.0.1/24"));
        nl.ReplaceAddress("eth0", IpPrefix.Parse("10.1.0.2/24"));
        nl.ReplaceAddress("eth0", IpPrefix.Parse("10.7.0.1/16"), Scope.Link);
        nl.ReplaceAddress("eth0", IpPrefix.Parse("2001:db8::1/64"), noDad: true);
        nl.ReplaceAddress("eth0", IpPrefix.Parse("2001:db8::2/64"), noDad: true);

        var expected = IpAddresses(byIp.Name, "eth0").Select(Describe).Order().ToList();
        Assert.Equal(expected, IpAddresses(byUs.Name, "eth0").Select(Describe).Order());
        Assert.Equal(
            [
                "inet 10.1.0.1/24 scope global label eth0",
                "inet 10.1.0.2/24 scope global label eth0",
                "inet 10.7.0.1/16 scope link label eth0",
                "inet6 2001:db8::1/64 scope global nodad",
                "inet6 2001:db8::2/64 scope global nodad",
            ],
            expected);
    }

    [RootFact]
    public void Delete_removes_only_the_named_addresses()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Tool.Ip(ns.Name, "addr", "add", "10.1.0.1/24", "dev", "eth0");
        Tool.Ip(ns.Name, "addr", "add", "10.1.0.2/24", "dev", "eth0");
        Tool.Ip(ns.Name, "addr", "add", "10.2.0.1/24", "dev", "eth0");
        Tool.Ip(ns.Name, "-6", "addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad");
        Tool.Ip(ns.Name, "-6", "addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad");

        ns.Netlink.DeleteAddress("eth0", IpPrefix.Parse("10.1.0.2/24"));
        ns.Netlink.DeleteAddress("eth0", IpPrefix.Parse("10.2.0.1/24"));
        ns.Netlink.DeleteAddress("eth0", IpPrefix.Parse("2001:db8::2/64"));

        Assert.Equal(["10.1.0.1/24", "2001:db8::1/64"], IpPrefixes(ns.Name, "eth0"));
        Assert.Empty(Tool.IpJson(ns.Name, "route", "show", "10.2.0.0/24").EnumerateArray());
    }

    [RootTheory]
    [InlineData("10.1.0.1/24", ": ipv4: Address already assigned")]
    [InlineData("2001:db8::1/64", ": ipv6: address already assigned")]
    public void Adding_an_address_twice_is_EEXIST_and_changes_nothing(string address, string kernelMessage)
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("eth0", "peer0"));
        bool v6 = address.Contains(':');
        ns.Netlink.AddAddress("eth0", IpPrefix.Parse(address), noDad: v6);
        var before = IpAddresses(ns.Name, "eth0").Select(Describe).ToList();

        var error = Assert.Throws<NetlinkException>(() => ns.Netlink.AddAddress("eth0", IpPrefix.Parse(address), noDad: v6));
        Assert.Equal($"addr add {address} dev eth0 (netns {ns.Name}): File exists (EEXIST){kernelMessage}", error.Message);
        Assert.Equal("EEXIST", error.ErrnoName);
        Assert.Equal(before, IpAddresses(ns.Name, "eth0").Select(Describe));
    }

    [RootFact]
    public void A_secondary_address_in_another_scope_is_refused_by_the_kernel_and_not_created()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new VethSpec("eth0", "peer0"));
        ns.Netlink.AddAddress("eth0", IpPrefix.Parse("10.1.0.1/24"));

        var error = Assert.Throws<NetlinkException>(() => ns.Netlink.AddAddress("eth0", IpPrefix.Parse("10.1.0.9/24"), Scope.Link));
        Assert.Equal($"addr add 10.1.0.9/24 dev eth0 (netns {ns.Name}): Invalid argument (EINVAL): ipv4: Invalid scope value", error.Message);
        Assert.Equal(["10.1.0.1/24"], IpPrefixes(ns.Name, "eth0"));
    }

    [RootFact]
    public void Deleting_a_missing_address_fails_and_deletes_nothing()
    {
        using var ns = ScratchNamespace.Create();
        Tool.Ip(ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Tool.Ip(ns.Name, "addr", "add", "10.1.0.1/24", "dev", "eth0");

        // Same address, other prefix length: ip says "Address not found" too.
        var error = Assert.Throws<NetlinkException>(() => ns.Netlink.DeleteAddress("eth0", IpPrefix.Parse("10.1.0.1/16")));
        Assert.Equal($"addr del 10.1.0.1/16 dev eth0 (netns {ns.Name}): Cannot assign requested address (EADDRNOTAVAIL): ipv4: Address not found", error.Message);
        Assert.Equal(["10.1.0.1/24"], IpPrefixes(ns.Name, "eth0"));
    }

    [RootFact]
    public void An_address_on_an_unknown_device_is_rejected_before_sending()
    {
        using var ns = ScratchNamespace.Create();
        var before = Tool.Check("ip", "-n", ns.Name, "-j", "addr", "show");

        var error = Assert.Throws<NetlinkArgumentException>(() => ns.Netlink.AddAddress("nosuch", IpPrefix.Parse("10.1.0.1/24")));
        Assert.Equal($"addr add 10.1.0.1/24 dev nosuch (netns {ns.Name}): link \"nosuch\" not found", error.Message);
        var replace = Assert.Throws<NetlinkArgumentException>(() => ns.Netlink.ReplaceAddress("nosuch", IpPrefix.Parse("10.1.0.1/24")));
        Assert.Equal($"addr replace 10.1.0.1/24 dev nosuch (netns {ns.Name}): link \"nosuch\" not found", replace.Message);
        var byIndex = Assert.Throws<NetlinkException>(() => ns.Netlink.AddAddress(4242, IpPrefix.Parse("10.1.0.1/24")));
        Assert.Equal($"addr add 10.1.0.1/24 dev 4242 (netns {ns.Name}): No such device (ENODEV): ipv4: Device not found", byIndex.Message);
        Assert.Equal(before, Tool.Check("ip", "-n", ns.Name, "-j", "addr", "show"));
    }

    [RootFact]
    public void Interface_names_longer_than_15_bytes_are_rejected_before_sending()
    {
        using var ns = ScratchNamespace.Create();
        var nl = ns.Netlink;
        var before = LinkNames(ns.Name);

        var bridge = Assert.Throws<NetlinkArgumentException>(() => nl.AddLink(new BridgeSpec("strata-toolongname")));
        Assert.Equal($"link add strata-toolongname type bridge (netns {ns.Name}): interface name \"strata-toolongname\" is 18 bytes; the kernel allows at most 15", bridge.Message);

        // The peer's name counts too, and so does UTF-8 length rather than characters: 15 characters, 17 bytes.
        var peer = Assert.Throws<NetlinkArgumentException>(() => nl.AddLink(new VethSpec("veth0", "brückenbrücke12")));
        Assert.Equal("interface name \"brückenbrücke12\" is 17 bytes; the kernel allows at most 15", peer.Problem);

        var address = Assert.Throws<NetlinkArgumentException>(() => nl.AddAddress("strata-toolongname", IpPrefix.Parse("10.1.0.1/24")));
        Assert.Equal($"addr add 10.1.0.1/24 dev strata-toolongname (netns {ns.Name}): interface name \"strata-toolongname\" is 18 bytes; the kernel allows at most 15", address.Message);
        Assert.Equal(before, LinkNames(ns.Name));

        // Exactly 15 bytes is allowed.
        nl.AddLink(new BridgeSpec("abcdefghijklmno"));
        Assert.Equal(before.Append("abcdefghijklmno").Order(), LinkNames(ns.Name).Order());
    }

    [Theory]
    [InlineData("10.0.0.300/24", "invalid CIDR \"10.0.0.300/24\": \"10.0.0.300\" is not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.1/33", "invalid CIDR \"10.0.0.1/33\": prefix length \"33\" must be a number from 0 to 32")]
    [InlineData("2001:db8::1/129", "invalid CIDR \"2001:db8::1/129\": prefix length \"129\" must be a number from 0 to 128")]
    [InlineData("10.0.0.1/-1", "invalid CIDR \"10.0.0.1/-1\": prefix length \"-1\" must be a number from 0 to 32")]
    [InlineData("10.0.0.1/", "invalid CIDR \"10.0.0.1/\": prefix length \"\" must be a number from 0 to 32")]
    [InlineData("10.0.0/24", "invalid CIDR \"10.0.0/24\": \"10.0.0\" is not an IPv4 or IPv6 address")]
    [InlineData("fe80::1%eth0/64", "invalid CIDR \"fe80::1%eth0/64\": \"fe80::1%eth0\" is not an IPv4 or IPv6 address")]
    [InlineData("", "invalid CIDR \"\": empty")]
    public void Invalid_prefixes_are_FormatExceptions_naming_the_text(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => IpPrefix.Parse(text));
        Assert.Equal(message, error.Message);
        Assert.False(IpPrefix.TryParse(text, out _));
    }

    [Theory]
    [InlineData("10.233.64.1/24", "10.233.64.1", 24, "10.233.64.0/24")]
    [InlineData("10.233.64.1", "10.233.64.1", 32, "10.233.64.1/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, "0.0.0.0/0")]
    [InlineData("2001:db8::1/64", "2001:db8::1", 64, "2001:db8::/64")]
    [InlineData("2001:db8::1", "2001:db8::1", 128, "2001:db8::1/128")]
    public void Valid_prefixes_parse_as_ip_reads_them(string text, string address, int length, string network)
    {
        var prefix = IpPrefix.Parse(text);
        Assert.Equal(address, prefix.Address.ToString());
        Assert.Equal(length, prefix.PrefixLength);
        Assert.Equal(network, prefix.Network.ToString());
    }

    internal static JsonElement[] IpAddresses(string ns, string device) =>
        Tool.IpJson(ns, "addr", "show", "dev", device)[0].GetProperty("addr_info").EnumerateArray().ToArray();

    private static string[] IpPrefixes(string ns, string device) =>
        IpAddresses(ns, device).Where(a => !IsLinkLocal(a))
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}").Order().ToArray();

    private static bool IsLinkLocal(JsonElement address) => address.GetProperty("local").GetString()!.StartsWith("fe80:");

    private static List<string> LinkNames(string ns) =>
        Tool.IpJson(ns, "link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).ToList();

    /// <summary>One address of <c>ip -j addr</c>, in the words <see cref="Describe(InterfaceAddress)"/> uses.</summary>
    private static string Describe(JsonElement a) =>
        $"{a.GetProperty("family").GetString()} {a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()} " +
        $"scope {a.GetProperty("scope").GetString()}" +
        (a.TryGetProperty("label", out var label) ? $" label {label.GetString()}" : string.Empty) +
        (a.TryGetProperty("nodad", out var nodad) && nodad.GetBoolean() ? " nodad" : string.Empty);

    private static string Describe(InterfaceAddress a) =>
        $"{(a.Prefix.IsIPv4 ? "inet" : "inet6")} {a.Prefix} scope {ScopeName(a.Scope)}" +
        (a.Label is { } label ? $" label {label}" : string.Empty) +
        ((a.Flags & 0x02) != 0 ? " nodad" : string.Empty) +       // IFA_F_NODAD
        ((a.Flags & 0x01) != 0 ? " secondary" : string.Empty);    // IFA_F_SECONDARY

    internal static string ScopeName(Scope scope) => scope switch
    {
        Scope.Universe => "global",
        Scope.Site => "site",
        Scope.Link => "link",
        Scope.Host => "host",
        Scope.Nowhere => "nowhere",
        _ => ((byte)scope).ToString(),
    };
}
