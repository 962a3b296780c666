using Strata.Controllers.NodeIpam;

namespace Strata.Controllers.Tests.NodeIpam;

public sealed class NodeCidrAllocatorTests
{
    [Fact]
    public void Slash_24s_come_in_order_from_the_cluster_cidr()
    {
        var allocator = new NodeCidrAllocator();
        Assert.Equal((64, "10.233.64.0/18"), (allocator.MaxCidrs, allocator.RangeSpec));
        Assert.Equal(["10.233.64.0/24", "10.233.65.0/24", "10.233.66.0/24"], Enumerable.Range(0, 3).Select(_ => allocator.AllocateNext()));
        Assert.Equal((3, 61), (allocator.Used, allocator.Free));
    }

    [Fact]
    public void Exhaustion_gives_upstreams_error_and_a_release_is_reused_after_wrapping()
    {
        var allocator = new NodeCidrAllocator();
        var all = Enumerable.Range(0, 64).Select(_ => allocator.AllocateNext()).ToList();
        Assert.Equal("10.233.127.0/24", all[^1]);
        Assert.Equal(64, all.Distinct().Count());

        var e = Assert.Throws<AllocationException>(() => allocator.AllocateNext());
        Assert.Equal(AllocationError.NoCidrsRemaining, e.Error);
        Assert.Equal("CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range", e.Message);

        allocator.Release("10.233.65.0/24");
        allocator.Release("10.233.70.0/24");
        Assert.Equal("10.233.65.0/24", allocator.AllocateNext());
        Assert.Equal("10.233.70.0/24", allocator.AllocateNext());
        Assert.Throws<AllocationException>(() => allocator.AllocateNext());
    }

    [Fact]
    public void The_next_allocation_follows_the_last_one_not_the_lowest_free_block()
    {
        var allocator = new NodeCidrAllocator();
        allocator.AllocateNext();
        allocator.AllocateNext();
        allocator.Release("10.233.64.0/24");
        Assert.Equal("10.233.66.0/24", allocator.AllocateNext());
        Assert.Equal(3, allocator.NextCandidate);
    }

    [Fact]
    public void Occupied_blocks_are_skipped_and_a_wider_cidr_occupies_every_block_it_covers()
    {
        var allocator = new NodeCidrAllocator();
        allocator.Occupy("10.233.64.0/24");
        allocator.Occupy("10.233.66.0/23");
        Assert.True(allocator.Has("10.233.67.0/24"));
        Assert.True(allocator.Has("10.233.66.0/23"));
        Assert.Equal("10.233.65.0/24", allocator.AllocateNext());
        Assert.Equal("10.233.68.0/24", allocator.AllocateNext());

        allocator.Release("10.233.64.0/22");
        Assert.Equal(["10.233.68.0/24"], allocator.Allocated());

        allocator.Occupy("10.0.0.0/8"); // contains the cluster CIDR: every block
        Assert.Equal(0, allocator.Free);
    }

    [Theory]
    [InlineData("10.0.0.0/24", "cidr 10.0.0.0/24 is out the range of cluster cidr 10.233.64.0/18")]
    [InlineData("10.233.128.0/24", "cidr 10.233.128.0/24 is out the range of cluster cidr 10.233.64.0/18")]
    [InlineData("fd00::/64", "cidr fd00::/64 is out the range of cluster cidr 10.233.64.0/18")]
    [InlineData("10.233.64.0", "invalid CIDR address: 10.233.64.0")]
    public void Cidrs_outside_the_cluster_cidr_are_refused(string cidr, string message)
    {
        var allocator = new NodeCidrAllocator();
        var e = Assert.Throws<AllocationException>(() => allocator.Occupy(cidr));
        Assert.Equal((AllocationError.InvalidCidr, message), (e.Error, e.Message));
        Assert.Throws<AllocationException>(() => allocator.Release(cidr));
    }

    [Fact]
    public void IPv6_cluster_cidrs_are_cut_the_same_way_within_upstreams_limit()
    {
        var allocator = new NodeCidrAllocator("fd00:10:233::/56", 64);
        Assert.Equal(["fd00:10:233::/64", "fd00:10:233:1::/64"], new[] { allocator.AllocateNext(), allocator.AllocateNext() });
        allocator.Occupy("fd00:10:233:ff::/64");
        Assert.True(allocator.Has("fd00:10:233:ff::/64"));

        var e = Assert.Throws<AllocationException>(() => new NodeCidrAllocator("fd00::/32", 64));
        Assert.Equal("New CIDR set failed; the node CIDR size is too big", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NodeCidrAllocator("10.233.64.0/18", 16));
    }
}
