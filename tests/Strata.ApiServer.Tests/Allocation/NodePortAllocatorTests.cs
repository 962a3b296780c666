using Strata.ApiServer.Allocation;
using Strata.Controllers.NodeIpam;

namespace Strata.ApiServer.Tests.Allocation;

public sealed class NodePortAllocatorTests
{
    [Theory]
    [InlineData("30000-32767", 30000, 2768, "30000-32767")]
    [InlineData("30000+2767", 30000, 2768, "30000-32767")]
    [InlineData(" 8080 ", 8080, 1, "8080-8080")]
    [InlineData("", 0, 0, "")]
    public void Port_ranges_parse_as_apimachinery_does(string text, int first, int size, string printed)
    {
        var range = PortRange.Parse(text);
        Assert.Equal((first, size, printed), (range.Base, range.Size, range.ToString()));
    }

    [Theory]
    [InlineData("30000-70000", "the port range cannot be greater than 65535: 30000-70000")]
    [InlineData("32767-30000", "end port cannot be less than start port: 32767-30000")]
    [InlineData("1-2+3", "unable to parse port range: 1-2+3")]
    [InlineData("a-b", "strconv.Atoi: parsing \"a\": invalid syntax")]
    public void Bad_port_ranges_are_refused(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => PortRange.Parse(text)).Message);
    }

    [Theory]
    [InlineData(29999)]
    [InlineData(32768)]
    [InlineData(80)]
    public void Ports_outside_the_range_get_upstreams_message(int port)
    {
        var allocator = new NodePortAllocator();
        var e = Assert.Throws<AllocationException>(() => allocator.Allocate(port));
        Assert.Equal((AllocationError.NotInRange, "provided port is not in the valid range. The range of valid ports is 30000-32767"), (e.Error, e.Message));
        Assert.Equal(
            $"spec.ports[0].nodePort: Invalid value: {port}: provided port is not in the valid range. The range of valid ports is 30000-32767",
            AllocationErrors.NodePort(0, port, e).ToString());
    }

    [Fact]
    public void A_taken_port_is_refused_and_both_ends_are_usable()
    {
        var allocator = new NodePortAllocator();
        allocator.Allocate(30000);
        allocator.Allocate(32767);
        var e = Assert.Throws<AllocationException>(() => allocator.Allocate(32767));
        Assert.Equal((AllocationError.Allocated, "provided port is already allocated"), (e.Error, e.Message));
        Assert.Equal("spec.ports[1].nodePort: Invalid value: 32767: provided port is already allocated", AllocationErrors.NodePort(1, 32767, e).ToString());
        Assert.Equal([30000, 32767], allocator.Allocated());
        Assert.Equal((2, 2766), (allocator.Used, allocator.Free));
    }

    [Fact]
    public void Dynamic_ports_fill_the_upper_band_first_then_the_static_band_then_the_range_is_full()
    {
        var allocator = new NodePortAllocator(PortRange.DefaultNodePorts, new Random(11));
        Assert.Equal(86, allocator.StaticBandSize);
        var upper = Enumerable.Range(0, 2768 - 86).Select(_ => allocator.AllocateNext()).ToList();
        Assert.All(upper, port => Assert.InRange(port, 30086, 32767));
        Assert.Equal(2682, upper.Distinct().Count());

        var lower = Enumerable.Range(0, 86).Select(_ => allocator.AllocateNext()).ToList();
        Assert.All(lower, port => Assert.InRange(port, 30000, 30085));
        Assert.Equal(86, lower.Distinct().Count());

        var e = Assert.Throws<AllocationException>(() => allocator.AllocateNext());
        Assert.Equal("range is full", e.Message);
        Assert.Equal("failed to allocate a nodePort: range is full", AllocationErrors.NodePortFailed(e));
        Assert.Equal("failed to allocate requested HealthCheck NodePort 30001: provided port is already allocated",
            AllocationErrors.HealthCheckNodePortFailed(30001, Assert.Throws<AllocationException>(() => allocator.Allocate(30001))));
    }

    [Theory]
    [InlineData("30000-30015", 0)]
    [InlineData("30000-30016", 16)]
    [InlineData("30000-31023", 32)]
    [InlineData("20000-32767", 128)]
    public void Static_bands_follow_upstreams_formula(string range, int band)
    {
        Assert.Equal(band, new NodePortAllocator(range).StaticBandSize);
    }

    [Fact]
    public void Released_ports_are_reused_and_snapshots_round_trip()
    {
        var allocator = new NodePortAllocator("30000-30009");
        var all = Enumerable.Range(0, 10).Select(_ => allocator.AllocateNext()).ToHashSet();
        Assert.Equal(Enumerable.Range(30000, 10).ToHashSet(), all);
        allocator.Release(30004);
        allocator.Release(40000);
        Assert.False(allocator.Has(30004));
        Assert.Equal(30004, allocator.AllocateNext());
        allocator.Release(30000);

        var snapshot = allocator.Snapshot();
        Assert.Equal("30000-30009", snapshot.Range);
        Assert.Equal([0x03, 0xFE], snapshot.Data);
        var restored = NodePortAllocator.FromSnapshot(RangeSnapshot.FromBase64(snapshot.Range, snapshot.DataBase64));
        Assert.Equal(allocator.Allocated(), restored.Allocated());

        var e = Assert.Throws<AllocationException>(() => restored.Restore(new NodePortAllocator().Snapshot()));
        Assert.Equal("the provided port range does not match the current port range", e.Message);
    }

    [Fact]
    public void Rebuilding_from_services_reports_problems()
    {
        var result = NodePortAllocator.Rebuild(PortRange.Parse(PortRange.DefaultNodePorts), [30080, 30080, 8080, 31000]);
        Assert.Equal([30080], result.Duplicates);
        Assert.Equal([8080], result.OutOfRange);
        Assert.Equal([30080, 31000], result.Allocator.Allocated());
    }
}
