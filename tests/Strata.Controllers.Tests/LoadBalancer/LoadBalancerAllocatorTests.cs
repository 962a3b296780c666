using System.Net;
using Strata.Controllers.LoadBalancer;

namespace Strata.Controllers.Tests.LoadBalancer;

public sealed class LoadBalancerAllocatorTests
{
    private static IPAddress A(string text) => IPAddress.Parse(text);

    [Fact]
    public void Pools_are_ranges_and_cidrs_in_the_order_written()
    {
        var pool = AddressPool.Parse("192.168.9.200-192.168.9.202, 10.0.0.0/31,192.168.9.5-192.168.9.5");
        Assert.Equal(["192.168.9.200-192.168.9.202", "10.0.0.0-10.0.0.1", "192.168.9.5"], pool.Ranges.Select(r => r.ToString()));
        Assert.Equal((UInt128)6, pool.Size);
        Assert.Equal(["192.168.9.200", "192.168.9.201", "192.168.9.202", "10.0.0.0", "10.0.0.1", "192.168.9.5"], pool.Addresses().Select(a => a.ToString()));
        Assert.True(pool.Contains(A("10.0.0.1")));
        Assert.False(pool.Contains(A("192.168.9.203")));
        Assert.Equal(["2001:db8::ff", "2001:db8::100"], AddressPool.Parse("2001:db8::ff-2001:db8::100").Addresses().Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("", "load balancer pool \"\": expected comma-separated CIDRs (192.168.10.0/24) or ranges (192.168.9.1-192.168.9.5), with no empty entry")]
    [InlineData("10.0.0.0/24,", "load balancer pool \"10.0.0.0/24,\": expected comma-separated CIDRs (192.168.10.0/24) or ranges (192.168.9.1-192.168.9.5), with no empty entry")]
    [InlineData("10.0.0.0/33", "load balancer pool \"10.0.0.0/33\": \"10.0.0.0/33\" is not a valid CIDR")]
    [InlineData("10.0.0.7", "load balancer pool \"10.0.0.7\": \"10.0.0.7\" is neither a CIDR (a.b.c.d/n) nor a range (first-last)")]
    [InlineData("10.0.0.9-10.0.0.300", "load balancer pool \"10.0.0.9-10.0.0.300\": range \"10.0.0.9-10.0.0.300\" has an invalid IP address \"10.0.0.300\"")]
    [InlineData("10.0.0.9-10.0.0.1", "load balancer pool \"10.0.0.9-10.0.0.1\": range \"10.0.0.9-10.0.0.1\" ends before it starts")]
    [InlineData("10.0.0.1-2001:db8::1", "load balancer pool \"10.0.0.1-2001:db8::1\": range \"10.0.0.1-2001:db8::1\" mixes IPv4 and IPv6")]
    [InlineData("10.0.0.0/30,10.0.0.3-10.0.0.9", "load balancer pool \"10.0.0.0/30,10.0.0.3-10.0.0.9\": 10.0.0.3-10.0.0.9 overlaps 10.0.0.0-10.0.0.3")]
    public void Bad_pool_text_is_an_error_naming_the_block(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => AddressPool.Parse(text));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void The_manager_refuses_a_bad_pool_naming_the_flag()
    {
        var e = Assert.Throws<ArgumentException>(() => new ControllerManagerOptions { LoadBalancerPool = "10.0.0.5-10.0.0.1" }.Validate());
        Assert.Equal("--load-balancer-pool: load balancer pool \"10.0.0.5-10.0.0.1\": range \"10.0.0.5-10.0.0.1\" ends before it starts", e.Message);
    }

    [Fact]
    public void Lowest_free_address_first_and_a_service_keeps_its_address()
    {
        var allocator = new LoadBalancerAllocator(AddressPool.Parse("192.168.9.200-192.168.9.203"));
        Assert.Equal(A("192.168.9.200"), allocator.Assign("default/a").Address);
        Assert.Equal(A("192.168.9.201"), allocator.Assign("default/b").Address);
        Assert.Equal(A("192.168.9.200"), allocator.Assign("default/a").Address);
        Assert.Equal(A("192.168.9.201"), allocator.Assign("default/b", A("192.168.9.201")).Address);
        Assert.Equal(("default/b", 2), (allocator.HolderOf(A("192.168.9.201")), allocator.Used));
    }

    [Fact]
    public void Exhaustion_names_the_pool_and_a_released_address_is_handed_out_again()
    {
        var allocator = new LoadBalancerAllocator(AddressPool.Parse("10.9.0.1-10.9.0.2"));
        allocator.Assign("ns/one");
        allocator.Assign("ns/two");
        var full = allocator.Assign("ns/three");
        Assert.False(full.Succeeded);
        Assert.Equal("no available IPs in pool 10.9.0.1-10.9.0.2 (2 of 2 in use)", full.Error);
        Assert.Null(allocator.AddressOf("ns/three"));

        Assert.True(allocator.Release("ns/one"));
        Assert.False(allocator.Release("ns/one"));
        Assert.Equal(A("10.9.0.1"), allocator.Assign("ns/three").Address);
    }

    [Fact]
    public void A_requested_address_must_be_in_the_pool_and_free()
    {
        var allocator = new LoadBalancerAllocator(AddressPool.Parse("10.9.0.0/29"));
        Assert.Equal(A("10.9.0.5"), allocator.Assign("ns/web", A("10.9.0.5")).Address);

        var outside = allocator.Assign("ns/db", A("10.9.1.5"));
        Assert.Equal("requested IP \"10.9.1.5\" is not in the pool 10.9.0.0/29", outside.Error);
        var taken = allocator.Assign("ns/db", A("10.9.0.5"));
        Assert.Equal("requested IP \"10.9.0.5\" is already assigned to ns/web", taken.Error);

        // A changed request moves the Service, and its old address is free again.
        Assert.Equal(A("10.9.0.6"), allocator.Assign("ns/web", A("10.9.0.6")).Address);
        Assert.Equal(A("10.9.0.5"), allocator.Assign("ns/db", A("10.9.0.5")).Address);
        Assert.Equal(A("10.9.0.0"), allocator.Assign("ns/other").Address);
    }

    [Fact]
    public void A_failed_new_request_leaves_the_service_with_nothing()
    {
        var allocator = new LoadBalancerAllocator(AddressPool.Parse("10.9.0.1-10.9.0.3"));
        allocator.Assign("ns/a");
        allocator.Assign("ns/b");
        Assert.False(allocator.Assign("ns/a", A("10.9.0.2")).Succeeded);
        Assert.Null(allocator.AddressOf("ns/a"));
        Assert.Null(allocator.HolderOf(A("10.9.0.1")));
    }
}
