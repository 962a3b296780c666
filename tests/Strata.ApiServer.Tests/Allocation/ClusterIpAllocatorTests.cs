using System.Net;
using System.Text.Json.Nodes;
using Strata.ApiServer.Allocation;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Tests.Allocation;

public sealed class ClusterIpAllocatorTests
{
    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    [Fact]
    public void The_default_range_leaves_out_its_network_and_broadcast_addresses()
    {
        var range = ServiceIpRange.Parse();
        Assert.Equal("10.233.0.0/18", range.ToString());
        Assert.Equal(Ip("10.233.0.0"), range.Network);
        Assert.Equal(Ip("10.233.63.255"), range.Broadcast);
        Assert.Equal(Ip("10.233.0.1"), range.First);
        Assert.Equal(Ip("10.233.63.254"), range.Last);
        Assert.Equal(16382, range.Size);
        Assert.Equal(256, range.StaticBandSize);
        Assert.False(range.Contains(Ip("10.233.0.0")));
        Assert.False(range.Contains(Ip("10.233.63.255")));
        Assert.True(range.Contains(Ip("10.233.63.254")));
        Assert.True(range.Contains(Ip("::ffff:10.233.0.1")));
    }

    [Theory]
    [InlineData("10.233.0.5/18", "10.233.0.0/18", 16382, 256)] // masked, as net.ParseCIDR does
    [InlineData("10.0.0.0/24", "10.0.0.0/24", 254, 16)]
    [InlineData("10.0.0.0/27", "10.0.0.0/27", 30, 16)]
    [InlineData("10.0.0.0/28", "10.0.0.0/28", 14, 0)]
    [InlineData("10.0.0.0/12", "10.0.0.0/12", 1048574, 256)]
    [InlineData("10.0.0.0/31", "10.0.0.0/31", 0, 0)]
    [InlineData("fd00::/64", "fd00::/64", 65535, 256)]
    [InlineData("fd00::/120", "fd00::/120", 255, 16)]
    public void Sizes_and_static_bands_follow_upstream(string cidr, string printed, int size, int band)
    {
        var range = ServiceIpRange.Parse(cidr);
        Assert.Equal((printed, size, band), (range.ToString(), range.Size, range.StaticBandSize));
    }

    [Theory]
    [InlineData("10.233.0.0/33")]
    [InlineData("010.233.0.0/18")]
    [InlineData("10.233/18")]
    [InlineData("10.233.0.0")]
    [InlineData("10.233.0.0/")]
    [InlineData("10.233.0.0/+8")]
    [InlineData("fe80::1%eth0/64")]
    public void Bad_cidrs_are_refused(string cidr)
    {
        Assert.False(IpCidr.TryParse(cidr, out _));
        Assert.Throws<FormatException>(() => ServiceIpRange.Parse(cidr));
    }

    [Theory]
    [InlineData("10.233.0.0")]
    [InlineData("10.233.63.255")]
    [InlineData("10.234.0.1")]
    [InlineData("192.168.0.1")]
    public void Requests_outside_the_usable_range_get_upstreams_message(string ip)
    {
        var allocator = new ClusterIpAllocator();
        var e = Assert.Throws<AllocationException>(() => allocator.Allocate(Ip(ip)));
        Assert.Equal(AllocationError.NotInRange, e.Error);
        Assert.Equal($"the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.233.0.0/18", e.Message);
        Assert.Equal("10.233.0.0/18", e.ValidRange);
        Assert.Equal(0, allocator.Used);
    }

    [Fact]
    public void A_taken_IP_is_refused_with_upstreams_message_and_field_error()
    {
        var allocator = new ClusterIpAllocator();
        allocator.Allocate(Ip("10.233.0.1"));
        var e = Assert.Throws<AllocationException>(() => allocator.Allocate(Ip("10.233.0.1")));
        Assert.Equal((AllocationError.Allocated, "provided IP is already allocated"), (e.Error, e.Message));
        Assert.Equal(
            """spec.clusterIPs: Invalid value: ["10.233.0.1"]: failed to allocate IP 10.233.0.1: provided IP is already allocated""",
            AllocationErrors.ClusterIp(new JsonArray("10.233.0.1"), "10.233.0.1", e).ToString());
        Assert.Equal((1, 16381), (allocator.Used, allocator.Free));
    }

    [Fact]
    public void Both_ends_of_the_usable_range_can_be_requested()
    {
        var allocator = new ClusterIpAllocator();
        allocator.Allocate(Ip("10.233.0.1"));
        allocator.Allocate(Ip("10.233.63.254"));
        Assert.True(allocator.Has(Ip("10.233.0.1")));
        Assert.True(allocator.Has(Ip("10.233.63.254")));
        Assert.False(allocator.Has(Ip("10.233.0.2")));
        Assert.False(allocator.Has(Ip("10.233.0.0")));
        Assert.Equal([Ip("10.233.0.1"), Ip("10.233.63.254")], allocator.Allocated());
    }

    [Fact]
    public void Dynamic_allocations_come_from_the_upper_band_while_it_has_room()
    {
        var allocator = new ClusterIpAllocator(ServiceIpRange.Parse(), new Random(7));
        var upperStart = BitConverter.ToUInt32(Ip("10.233.1.1").GetAddressBytes().Reverse().ToArray());
        for (var i = 0; i < 500; i++)
        {
            var ip = allocator.AllocateNext();
            Assert.True(BitConverter.ToUInt32(ip.GetAddressBytes().Reverse().ToArray()) >= upperStart, ip.ToString());
        }

        // Random, not sequential: 500 draws spread over the band instead of filling one run of 500.
        var taken = allocator.Allocated();
        Assert.Equal(500, taken.Count);
        Assert.True(taken[^1].GetAddressBytes()[2] - taken[0].GetAddressBytes()[2] > 10);
    }

    [Fact]
    public void The_static_band_is_used_only_after_the_upper_band_is_full_then_the_range_is_full()
    {
        // A /27: 30 usable addresses, the lower 16 (.1-.16) kept for static requests.
        var allocator = new ClusterIpAllocator(ServiceIpRange.Parse("10.0.0.0/27"), new Random(3));
        var upper = Enumerable.Range(0, 14).Select(_ => allocator.AllocateNext()).ToList();
        Assert.All(upper, ip => Assert.InRange(ip.GetAddressBytes()[3], 17, 30));
        Assert.Equal(14, upper.Distinct().Count());

        var lower = Enumerable.Range(0, 16).Select(_ => allocator.AllocateNext()).ToList();
        Assert.All(lower, ip => Assert.InRange(ip.GetAddressBytes()[3], 1, 16));
        Assert.Equal(16, lower.Distinct().Count());

        var full = Assert.Throws<AllocationException>(() => allocator.AllocateNext());
        Assert.Equal((AllocationError.Full, "range is full"), (full.Error, full.Message));
        Assert.Equal((30, 0), (allocator.Used, allocator.Free));
        Assert.Equal("failed to allocate a serviceIP: range is full", AllocationErrors.ServiceIpFailed(full));
    }

    [Fact]
    public void A_released_IP_is_handed_out_again_and_releasing_strangers_is_a_no_op()
    {
        var allocator = new ClusterIpAllocator(ServiceIpRange.Parse("10.0.0.0/29"));
        var all = Enumerable.Range(0, 6).Select(_ => allocator.AllocateNext()).ToHashSet();
        Assert.Equal(6, all.Count);
        Assert.Throws<AllocationException>(() => allocator.AllocateNext());

        allocator.Release(Ip("10.0.0.3"));
        allocator.Release(Ip("10.0.0.3"));
        allocator.Release(Ip("10.0.0.0"));
        allocator.Release(Ip("192.168.1.1"));
        Assert.Equal(5, allocator.Used);
        Assert.Equal(Ip("10.0.0.3"), allocator.AllocateNext());
        allocator.Release(Ip("10.0.0.5"));
        allocator.Allocate(Ip("10.0.0.5"));
        Assert.Equal(6, allocator.Used);
    }

    [Fact]
    public void Snapshots_are_gos_big_int_bytes_and_round_trip()
    {
        var allocator = new ClusterIpAllocator();
        Assert.Equal(("10.233.0.0/18", ""), (allocator.Snapshot().Range, allocator.Snapshot().DataBase64));

        allocator.Allocate(Ip("10.233.0.1")); // offset 0
        Assert.Equal("AQ==", allocator.Snapshot().DataBase64);
        allocator.Allocate(Ip("10.233.0.10")); // offset 9
        Assert.Equal([0x02, 0x01], allocator.Snapshot().Data);
        allocator.Allocate(Ip("10.233.63.254")); // offset 16381: the top bit of a 2048-byte integer
        for (var i = 0; i < 40; i++)
        {
            allocator.AllocateNext();
        }

        var snapshot = allocator.Snapshot();
        Assert.Equal(2048, snapshot.Data.Length);
        Assert.Equal(0x20, snapshot.Data[0]);

        var restored = ClusterIpAllocator.FromSnapshot(RangeSnapshot.FromBase64(snapshot.Range, snapshot.DataBase64));
        Assert.Equal(allocator.Allocated(), restored.Allocated());
        Assert.Equal((43, 16382 - 43), (restored.Used, restored.Free));
        Assert.Equal(snapshot, restored.Snapshot());
    }

    [Fact]
    public void A_snapshot_of_another_range_is_refused()
    {
        var allocator = new ClusterIpAllocator();
        var other = new ClusterIpAllocator("10.96.0.0/12").Snapshot();
        var e = Assert.Throws<AllocationException>(() => allocator.Restore(other));
        Assert.Equal((AllocationError.MismatchedRange, "the provided network does not match the current range"), (e.Error, e.Message));
        allocator.Restore(new RangeSnapshot("10.233.0.7/18", [1]));
        Assert.True(allocator.Has(Ip("10.233.0.1")));
    }

    [Fact]
    public void IPv6_ranges_have_no_broadcast_and_cap_at_65536_addresses()
    {
        var allocator = new ClusterIpAllocator("fd00:10:233::/108");
        Assert.Null(allocator.Range.Broadcast);
        Assert.Equal(Ip("fd00:10:233::1"), allocator.Range.First);
        Assert.Equal(Ip("fd00:10:233::ffff"), allocator.Range.Last);
        allocator.Allocate(Ip("fd00:10:233::ffff"));
        var e = Assert.Throws<AllocationException>(() => allocator.Allocate(Ip("fd00:10:233::1:0")));
        Assert.Equal("the provided IP (fd00:10:233::1:0) is not in the valid range. The range of valid IPs is fd00:10:233::/108", e.Message);
        Assert.Throws<AllocationException>(() => allocator.Allocate(Ip("10.233.0.1")));
        Assert.Equal("fd00:10:233", allocator.AllocateNext().ToString()[..11]);
    }

    [Fact]
    public void Rebuilding_from_services_reports_duplicates_strangers_and_leaks()
    {
        var range = ServiceIpRange.Parse();
        var previous = new ClusterIpAllocator(range);
        previous.Allocate(Ip("10.233.0.10"));
        previous.Allocate(Ip("10.233.0.20"));
        previous.Allocate(Ip("10.233.0.30"));

        var result = ClusterIpAllocator.Rebuild(range, [Ip("10.233.0.10"), Ip("10.96.0.1"), Ip("10.233.0.10"), Ip("10.233.5.5")], previous,
            keepLeaked: ip => ip.Equals(Ip("10.233.0.30")));
        Assert.Equal([Ip("10.96.0.1")], result.OutOfRange);
        Assert.Equal([Ip("10.233.0.10")], result.Duplicates);
        Assert.Equal([Ip("10.233.0.20"), Ip("10.233.0.30")], result.Leaked);
        Assert.Equal([Ip("10.233.0.10"), Ip("10.233.0.30"), Ip("10.233.5.5")], result.Allocator.Allocated());
    }
}
