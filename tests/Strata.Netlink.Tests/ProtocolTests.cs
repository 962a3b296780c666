using System.Buffers.Binary;
using System.Net;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink.Tests;

/// <summary>
/// The pure parts of the library, byte for byte: the message writer, the enumerators that walk
/// what the kernel sends, the decoder, and the parsers of addresses, names and MACs. No root needed.
/// </summary>
public sealed class ProtocolTests
{
    private const ushort NewLinkFlags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

    // ---- NetlinkWriter: golden bytes ----

    /// <summary>
    /// <c>ip link add veth0 type veth peer name eth0</c> as the kernel expects it (linux/veth.h:
    /// VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's attributes).
    /// </summary>
    private static readonly byte[] VethGolden =
    [
        // nlmsghdr: len 96, RTM_NEWLINK (16), REQUEST|ACK|EXCL|CREATE (0x605), seq 7, pid 0
        0x60, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x06, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // ifinfomsg: all zero
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // IFLA_IFNAME "veth0\0": len 10, padded to 12
        0x0a, 0x00, 0x03, 0x00, (byte)'v', (byte)'e', (byte)'t', (byte)'h', (byte)'0', 0x00, 0x00, 0x00,
        // IFLA_LINKINFO | NLA_F_NESTED: len 52
        0x34, 0x00, 0x12, 0x80,
        //   IFLA_INFO_KIND "veth\0": len 9, padded to 12
        0x09, 0x00, 0x01, 0x00, (byte)'v', (byte)'e', (byte)'t', (byte)'h', 0x00, 0x00, 0x00, 0x00,
        //   IFLA_INFO_DATA | NLA_F_NESTED: len 36
        0x24, 0x00, 0x02, 0x80,
        //     VETH_INFO_PEER | NLA_F_NESTED: len 32
        0x20, 0x00, 0x01, 0x80,
        //       ifinfomsg of the peer
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        //       IFLA_IFNAME "eth0\0": len 9, padded to 12
        0x09, 0x00, 0x03, 0x00, (byte)'e', (byte)'t', (byte)'h', (byte)'0', 0x00, 0x00, 0x00, 0x00,
    ];

    private static int WriteVeth(Span<byte> buffer)
    {
        var w = new NetlinkWriter(buffer);
        w.BeginMessage(RTM_NEWLINK, NewLinkFlags, 7);
        w.WriteStruct(new Interop.ifinfomsg());
        w.PutString(IFLA_IFNAME, "veth0");
        int linkInfo = w.BeginNested(IFLA_LINKINFO);
        w.PutString(IFLA_INFO_KIND, "veth");
        int data = w.BeginNested(IFLA_INFO_DATA);
        int peer = w.BeginNested(VETH_INFO_PEER);
        w.WriteStruct(new Interop.ifinfomsg());
        w.PutString(IFLA_IFNAME, "eth0");
        w.EndNested(peer);
        w.EndNested(data);
        w.EndNested(linkInfo);
        w.EndMessage();
        return w.Length;
    }

    [Fact]
    public void Veth_creation_message_matches_the_golden_bytes()
    {
        var buffer = new byte[256];
        buffer.AsSpan().Fill(0xEE); // padding must be written, not inherited from the buffer
        int length = WriteVeth(buffer);
        Assert.Equal(VethGolden.Length, length);
        Assert.Equal(Hex(VethGolden), Hex(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void Veth_creation_message_reads_back_through_the_enumerators()
    {
        var buffer = new byte[256];
        int length = WriteVeth(buffer);
        int count = 0;
        foreach (var message in new NetlinkMessageEnumerator(buffer.AsSpan(0, length)))
        {
            count++;
            Assert.Equal(RTM_NEWLINK, message.Header.nlmsg_type);
            Assert.Equal(NewLinkFlags, message.Header.nlmsg_flags);
            Assert.Equal(7u, message.Header.nlmsg_seq);
            Assert.Equal((uint)length, message.Header.nlmsg_len);
            Assert.Equal(length - 16, message.Payload.Length);

            var names = new List<string>();
            string? kind = null, peerName = null;
            foreach (var attribute in new NetlinkAttributeEnumerator(message.Payload[16..]))
            {
                if (attribute.Type == IFLA_IFNAME)
                {
                    names.Add(attribute.String);
                }
                else if (attribute.Type == IFLA_LINKINFO) // NLA_F_NESTED is masked off
                {
                    foreach (var info in attribute.Nested)
                    {
                        if (info.Type == IFLA_INFO_KIND)
                        {
                            kind = info.String;
                        }
                        else if (info.Type == IFLA_INFO_DATA)
                        {
                            foreach (var peer in info.Nested)
                            {
                                Assert.Equal(VETH_INFO_PEER, peer.Type);
                                foreach (var peerAttribute in new NetlinkAttributeEnumerator(peer.Data[16..]))
                                {
                                    if (peerAttribute.Type == IFLA_IFNAME)
                                    {
                                        peerName = peerAttribute.String;
                                    }
                                }
                            }
                        }
                    }
                }
            }

            Assert.Equal(["veth0"], names);
            Assert.Equal("veth", kind);
            Assert.Equal("eth0", peerName);
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public void A_three_byte_string_attribute_is_padded_to_four_bytes_with_zeros()
    {
        var buffer = new byte[64];
        buffer.AsSpan().Fill(0xFF);
        var w = new NetlinkWriter(buffer);
        w.PutString(IFLA_IFNAME, "ab"); // "ab\0": 3 bytes of payload
        w.PutU32(IFLA_MTU, 1450);
        Assert.Equal(16, w.Length);
        Assert.Equal(
            "07000300 61620000 08000400 aa050000",
            Hex(buffer.AsSpan(0, 16), group: 4));
    }

    [Fact]
    public void Attributes_of_every_width_are_little_endian_except_be16()
    {
        var buffer = new byte[128];
        var w = new NetlinkWriter(buffer);
        w.PutU8(1, 0x7f);
        w.PutU16(2, 0x1234);
        w.PutBe16(3, 8472);
        w.PutS32(4, -2);
        w.PutAddress(5, IPAddress.Parse("172.19.0.8"));
        w.PutAddress(6, IPAddress.Parse("fe80::1"));
        w.PutBytes(7, []);
        Assert.Equal(
            "05000100 7f000000 " +
            "06000200 34120000 " +
            "06000300 21180000 " +
            "08000400 feffffff " +
            "08000500 ac130008 " +
            "14000600 fe800000 00000000 00000000 00000001 " +
            "04000700",
            Hex(w.Written, group: 4));
    }

    [Fact]
    public void Messages_written_back_to_back_each_get_their_own_length()
    {
        var buffer = new byte[128];
        var w = new NetlinkWriter(buffer);
        w.BeginMessage(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1);
        w.WriteStruct(new Interop.ifinfomsg());
        w.EndMessage();
        w.BeginMessage(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 2);
        w.WriteStruct(new Interop.ifinfomsg());
        w.PutString(IFLA_IFNAME, "cni0");
        w.EndMessage();
        Assert.Equal(32 + 44, w.Length);
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(buffer));
        Assert.Equal(44u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(32)));

        var seen = new List<(ushort Type, uint Seq, int Payload)>();
        foreach (var message in new NetlinkMessageEnumerator(buffer.AsSpan(0, w.Length)))
        {
            seen.Add((message.Header.nlmsg_type, message.Header.nlmsg_seq, message.Payload.Length));
        }

        Assert.Equal([(RTM_GETLINK, 1u, 16), (RTM_DELLINK, 2u, 28)], seen);
    }

    [Fact]
    public void Writer_misuse_and_overflow_are_errors_not_corruption()
    {
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[64]);
            w.EndMessage();
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[64]);
            w.BeginMessage(RTM_NEWLINK, 0, 1);
            w.BeginMessage(RTM_NEWLINK, 0, 2);
        });
        var overflow = Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkWriter(new byte[24]);
            w.BeginMessage(RTM_NEWLINK, 0, 1);
            w.PutString(IFLA_IFNAME, "a-long-interface");
        });
        Assert.Contains("24-byte buffer", overflow.Message);
    }

    // ---- Enumerators over untrusted bytes ----

    [Fact]
    public void Attribute_enumerator_stops_at_a_truncated_or_oversized_length()
    {
        // A good u32 attribute, then one claiming 200 bytes in a 12-byte remainder.
        byte[] data = [8, 0, 4, 0, 1, 2, 3, 4, 200, 0, 3, 0, (byte)'x', 0, 0, 0];
        Assert.Equal([(ushort)4], Types(data));

        // A length below the 4-byte header (0 would loop forever if trusted).
        Assert.Empty(Types([0, 0, 1, 0, 0, 0, 0, 0]));
        Assert.Empty(Types([3, 0, 1, 0, 0, 0, 0, 0]));

        // Fewer than 4 bytes left: nothing, and no read past the end.
        Assert.Empty(Types([8, 0, 4]));

        // The last attribute's padding may be missing (len 5 in a 5-byte buffer).
        Assert.Equal([(ushort)9], Types([5, 0, 9, 0, 0xAB]));

        // The nested flag and the byte-order flag are masked off the type.
        Assert.Equal([(ushort)0x12], Types([4, 0, 0x12, 0xC0]));

        static List<ushort> Types(ReadOnlySpan<byte> data)
        {
            var types = new List<ushort>();
            foreach (var attribute in new NetlinkAttributeEnumerator(data))
            {
                types.Add(attribute.Type);
            }

            return types;
        }
    }

    [Fact]
    public void Message_enumerator_stops_at_a_truncated_or_oversized_length()
    {
        var good = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(good, 20);
        BinaryPrimitives.WriteUInt16LittleEndian(good.AsSpan(4), NLMSG_DONE);

        Assert.Equal(1, Count(good));
        Assert.Equal(0, Count(good.AsSpan(0, 15))); // shorter than a header

        var oversized = good.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(oversized, 21);
        Assert.Equal(0, Count(oversized));

        var zero = good.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(zero, 0);
        Assert.Equal(0, Count(zero));

        var huge = good.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(huge, 0xFFFFFFF0); // negative as an int
        Assert.Equal(0, Count(huge));

        // One good message followed by a truncated one: the good one is still delivered.
        byte[] two = [.. good, .. good.AsSpan(0, 18)];
        Assert.Equal(1, Count(two));

        static int Count(ReadOnlySpan<byte> data)
        {
            int n = 0;
            foreach (var message in new NetlinkMessageEnumerator(data))
            {
                Assert.True(message.Payload.Length >= 0);
                n++;
            }

            return n;
        }
    }

    [Fact]
    public void Enumerators_never_throw_on_random_bytes()
    {
        var random = new Random(20240611);
        var buffer = new byte[512];
        long visited = 0;
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            int length = random.Next(buffer.Length + 1);
            var data = buffer.AsSpan(0, length);
            random.NextBytes(data);
            if (length >= 4 && random.Next(2) == 0)
            {
                // Plausible small lengths reach deeper than uniformly random ones.
                BinaryPrimitives.WriteUInt16LittleEndian(data, (ushort)random.Next(0, length + 8));
            }

            foreach (var attribute in new NetlinkAttributeEnumerator(data))
            {
                visited += Walk(attribute, depth: 0);
            }

            if (length >= 16 && random.Next(2) == 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)random.Next(0, length + 8));
            }

            foreach (var message in new NetlinkMessageEnumerator(data))
            {
                visited++;
                foreach (var attribute in new NetlinkAttributeEnumerator(message.Payload))
                {
                    visited += Walk(attribute, depth: 0);
                }
            }
        }

        Assert.True(visited > 1000, $"the fuzzer reached only {visited} attributes");

        static long Walk(NetlinkAttribute attribute, int depth)
        {
            long n = 1;
            Assert.True(attribute.Data.Length <= ushort.MaxValue);
            if (depth < 4)
            {
                foreach (var inner in attribute.Nested)
                {
                    n += Walk(inner, depth + 1);
                }
            }

            return n;
        }
    }

    // ---- RtnetlinkDecoder on a hand-built payload ----

    [Fact]
    public void A_hand_built_RTM_NEWROUTE_decodes_to_the_route()
    {
        // 10.233.65.0/24 via 10.233.65.0 dev 5 onlink metric 100 src 10.233.64.0 table main proto boot
        byte[] payload =
        [
            // rtmsg: family AF_INET, dst_len 24, src_len 0, tos 0, table 254, protocol 3, scope 0, type 1, flags RTNH_F_ONLINK
            2, 24, 0, 0, 254, 3, 0, 1, 4, 0, 0, 0,
            // RTA_TABLE 254
            8, 0, 15, 0, 254, 0, 0, 0,
            // RTA_DST 10.233.65.0
            8, 0, 1, 0, 10, 233, 65, 0,
            // RTA_GATEWAY 10.233.65.0
            8, 0, 5, 0, 10, 233, 65, 0,
            // RTA_OIF 5
            8, 0, 4, 0, 5, 0, 0, 0,
            // RTA_PRIORITY 100
            8, 0, 6, 0, 100, 0, 0, 0,
            // RTA_PREFSRC 10.233.64.0
            8, 0, 7, 0, 10, 233, 64, 0,
            // An attribute the decoder does not know (RTA_MARK = 16) is skipped.
            8, 0, 16, 0, 1, 0, 0, 0,
        ];

        var route = RtnetlinkDecoder.DecodeRoute(payload);
        Assert.Equal(IpPrefix.Parse("10.233.65.0/24"), route.Destination);
        Assert.Equal(IPAddress.Parse("10.233.65.0"), route.Gateway);
        Assert.Equal(5, route.OutIndex);
        Assert.Equal(100u, route.Metric);
        Assert.Equal(IPAddress.Parse("10.233.64.0"), route.PreferredSource);
        Assert.Equal(Route.MainTable, route.Table);
        Assert.Equal((byte)3, route.Protocol);
        Assert.Equal(RouteType.Unicast, route.Type);
        Assert.Equal(Scope.Universe, route.Scope);
        Assert.True(route.OnLink);
        Assert.Null(route.Device); // names are filled in by dumps, not by the decoder

        // The monitor turns the same payload into an event; RTM_DELROUTE marks it deleted.
        var added = Assert.IsType<RouteEvent>(NetlinkMonitor.Decode(RTM_NEWROUTE, payload));
        Assert.False(added.Deleted);
        Assert.Equal(route, added.Route);
        Assert.True(Assert.IsType<RouteEvent>(NetlinkMonitor.Decode(RTM_DELROUTE, payload)).Deleted);
        Assert.Null(NetlinkMonitor.Decode(NLMSG_DONE, payload));
    }

    [Fact]
    public void A_default_route_and_an_ipv6_route_decode()
    {
        // default via 172.19.0.1 dev 2: no RTA_DST at all
        byte[] v4 = [2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0, 8, 0, 5, 0, 172, 19, 0, 1, 8, 0, 4, 0, 2, 0, 0, 0];
        var route = RtnetlinkDecoder.DecodeRoute(v4);
        Assert.Equal(IpPrefix.Parse("0.0.0.0/0"), route.Destination);
        Assert.Equal(IPAddress.Parse("172.19.0.1"), route.Gateway);
        Assert.False(route.OnLink);

        // local 2001:db8::1 table local (255) type local scope host
        byte[] v6 =
        [
            10, 128, 0, 0, 255, 2, 254, 2, 0, 0, 0, 0,
            20, 0, 1, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        ];
        var local = RtnetlinkDecoder.DecodeRoute(v6);
        Assert.Equal(IpPrefix.Parse("2001:db8::1/128"), local.Destination);
        Assert.Equal(Route.LocalTable, local.Table);
        Assert.Equal(RouteType.Local, local.Type);
        Assert.Equal(Scope.Host, local.Scope);
        Assert.Null(local.Gateway);
    }

    // ---- IpPrefix ----

    [Theory]
    [InlineData("10.233.64.1/24", "10.233.64.1", 24)]
    [InlineData("10.233.64.1", "10.233.64.1", 32)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("fe80::1/64", "fe80::1", 64)]
    [InlineData("2001:db8::1", "2001:db8::1", 128)]
    public void IpPrefix_parses_good_input(string text, string address, int length)
    {
        var prefix = IpPrefix.Parse(text);
        Assert.Equal(IPAddress.Parse(address), prefix.Address);
        Assert.Equal(length, prefix.PrefixLength);
        Assert.True(IpPrefix.TryParse(text, out var again));
        Assert.Equal(prefix, again);
        Assert.Equal($"{address}/{length}", prefix.ToString());
    }

    [Theory]
    [InlineData("10.0.0.300/24", "invalid CIDR \"10.0.0.300/24\": \"10.0.0.300\" is not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.1/33", "invalid CIDR \"10.0.0.1/33\": prefix length \"33\" must be a number from 0 to 32")]
    [InlineData("fe80::1/129", "invalid CIDR \"fe80::1/129\": prefix length \"129\" must be a number from 0 to 128")]
    [InlineData("10.1/8", "invalid CIDR \"10.1/8\": \"10.1\" is not an IPv4 or IPv6 address")]
    [InlineData("", "invalid CIDR \"\": empty")]
    [InlineData("10.0.0.1/", "invalid CIDR \"10.0.0.1/\": prefix length \"\" must be a number from 0 to 32")]
    [InlineData("10.0.0.1/-1", "invalid CIDR \"10.0.0.1/-1\": prefix length \"-1\" must be a number from 0 to 32")]
    [InlineData("10.0.0.1/24/8", "invalid CIDR \"10.0.0.1/24/8\": prefix length \"24/8\" must be a number from 0 to 32")]
    [InlineData("fe80::1%eth0/64", "invalid CIDR \"fe80::1%eth0/64\": \"fe80::1%eth0\" is not an IPv4 or IPv6 address")]
    [InlineData("cni0", "invalid CIDR \"cni0\": \"cni0\" is not an IPv4 or IPv6 address")]
    public void IpPrefix_rejects_bad_input_naming_what_is_wrong(string text, string error)
    {
        Assert.False(IpPrefix.TryParse(text, out var prefix, out var message));
        Assert.Equal(error, message);
        Assert.Equal(default, prefix);
        Assert.False(IpPrefix.TryParse(text, out _));
        Assert.Equal(error, Assert.Throws<FormatException>(() => IpPrefix.Parse(text)).Message);
    }

    [Fact]
    public void IpPrefix_rejects_null_and_an_out_of_range_constructor_length()
    {
        Assert.False(IpPrefix.TryParse(null, out _, out var error));
        Assert.Equal("invalid CIDR \"\": empty", error);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IpPrefix(IPAddress.Parse("10.0.0.1"), 33));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IpPrefix(IPAddress.Parse("::1"), -1));
        Assert.Throws<ArgumentNullException>(() => new IpPrefix(null!, 8));
    }

    [Theory]
    [InlineData("10.233.64.7/24", "10.233.64.0/24")]
    [InlineData("10.255.255.255/9", "10.128.0.0/9")]
    [InlineData("172.19.0.13/20", "172.19.0.0/20")]
    [InlineData("10.1.2.3/0", "0.0.0.0/0")]
    [InlineData("10.1.2.3/32", "10.1.2.3/32")]
    [InlineData("2001:db8::ff/120", "2001:db8::/120")]
    [InlineData("2001:db8:ffff:ffff::1/33", "2001:db8:8000::/33")]
    public void IpPrefix_network_clears_the_host_bits(string text, string network)
    {
        var prefix = IpPrefix.Parse(text);
        Assert.Equal(network, prefix.Network.ToString());
        Assert.Equal(prefix.PrefixLength, prefix.Network.PrefixLength);
        Assert.Equal(prefix.Network, prefix.Network.Network);
    }

    [Theory]
    [InlineData("10.233.64.0/18", "10.233.127.255", true)]
    [InlineData("10.233.64.0/18", "10.233.128.0", false)]
    [InlineData("10.233.64.7/24", "10.233.64.200", true)]
    [InlineData("0.0.0.0/0", "192.0.2.1", true)]
    [InlineData("10.0.0.0/8", "fd00::1", false)]
    [InlineData("fd00:1::/64", "fd00:1::ffff", true)]
    [InlineData("fd00:1::/64", "fd00:2::1", false)]
    public void IpPrefix_contains_the_addresses_of_its_network(string prefix, string address, bool expected) =>
        Assert.Equal(expected, IpPrefix.Parse(prefix).Contains(System.Net.IPAddress.Parse(address)));

    // ---- InterfaceName ----

    [Theory]
    [InlineData("flannel.1")]
    [InlineData("cni0")]
    [InlineData("eth0")]
    [InlineData("veth-0123456789")] // exactly 15 bytes
    [InlineData("a..b")]
    public void Interface_names_the_kernel_accepts_pass(string name)
    {
        Assert.Null(InterfaceName.Validate(name));
    }

    [Theory]
    [InlineData("veth-0123456789a", "interface name \"veth-0123456789a\" is 16 bytes; the kernel allows at most 15")]
    [InlineData("ééééééééé", "interface name \"ééééééééé\" is 18 bytes; the kernel allows at most 15")]
    [InlineData("a/b", "interface name \"a/b\" contains '/', which the kernel forbids")]
    [InlineData("a:b", "interface name \"a:b\" contains ':', which the kernel forbids")]
    [InlineData("a b", "interface name \"a b\" contains '\\u0020', which the kernel forbids")]
    [InlineData("a\tb", "interface name \"a\tb\" contains '\\u0009', which the kernel forbids")]
    [InlineData(".", "interface name \".\" is reserved")]
    [InlineData("..", "interface name \"..\" is reserved")]
    [InlineData("", "interface name is empty")]
    [InlineData(null, "interface name is empty")]
    public void Interface_names_the_kernel_rejects_fail_with_a_reason(string? name, string error)
    {
        Assert.Equal(error, InterfaceName.Validate(name));
    }

    [Fact]
    public void A_16_byte_name_is_rejected_before_any_request_saying_at_most_15()
    {
        string? error = InterfaceName.Validate(new string('x', 16));
        Assert.NotNull(error);
        Assert.Contains("at most 15", error);
        Assert.Equal(15, InterfaceName.MaxBytes);
    }

    // ---- MacAddress ----

    [Theory]
    [InlineData("0a:58:0a:e9:40:01", new byte[] { 0x0a, 0x58, 0x0a, 0xe9, 0x40, 0x01 })]
    [InlineData("0A:58:0A:E9:40:FF", new byte[] { 0x0a, 0x58, 0x0a, 0xe9, 0x40, 0xff })]
    [InlineData("00:00:00:00:00:00", new byte[] { 0, 0, 0, 0, 0, 0 })]
    public void Mac_addresses_parse_and_format_as_ip_prints_them(string text, byte[] bytes)
    {
        var mac = MacAddress.Parse(text);
        Assert.Equal(bytes, mac.GetAddressBytes());
        Assert.Equal(text.ToLowerInvariant(), MacAddress.Format(mac));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0a:58:0a:e9:40")]
    [InlineData("0a:58:0a:e9:40:01:02")]
    [InlineData("0a:58:0a:e9:40:0g")]
    [InlineData("0a58.0ae9.4001")]
    [InlineData("0a:58:0a:e9:4:001")]
    [InlineData("0a-58-0a-e9-40-01")]
    public void Bad_mac_addresses_are_rejected_with_the_expected_form(string text)
    {
        var error = Assert.Throws<FormatException>(() => MacAddress.Parse(text));
        Assert.Equal($"invalid MAC address \"{text}\": expected six colon-separated hex bytes, e.g. 0a:58:0a:e9:40:01", error.Message);
    }

    [Fact]
    public void Formatting_no_mac_gives_an_empty_string()
    {
        Assert.Equal(string.Empty, MacAddress.Format(null));
    }

    private static string Hex(ReadOnlySpan<byte> bytes, int group = 0)
    {
        string hex = Convert.ToHexStringLower(bytes);
        if (group == 0)
        {
            return hex;
        }

        return string.Join(' ', Enumerable.Range(0, (hex.Length + group * 2 - 1) / (group * 2))
            .Select(i => hex.Substring(i * group * 2, Math.Min(group * 2, hex.Length - i * group * 2))));
    }
}
