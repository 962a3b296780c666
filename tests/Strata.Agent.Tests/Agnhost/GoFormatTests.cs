using System.Net;
using Strata.Agent.Agnhost;

namespace Strata.Agent.Tests.Agnhost;

public sealed class GoFormatTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a<b>&c", "\"a\\u003cb\\u003e\\u0026c\"")]
    [InlineData("line\nnext\t\"q\"\\", "\"line\\nnext\\t\\\"q\\\"\\\\\"")]
    [InlineData("\u0001é", "\"\\u0001é\"")]
    public void Json_strings_as_go_writes_them(string value, string json)
    {
        Assert.Equal(json, GoFormat.JsonString(value));
    }

    [Fact]
    public void Json_maps_have_sorted_keys()
    {
        Assert.Equal("{\"error\":\"e\",\"output\":\"o\"}",
            GoFormat.JsonObject([new KeyValuePair<string, string>("output", "o"), new KeyValuePair<string, string>("error", "e")]));
        Assert.Equal("{\"errors\":[\"x\"],\"responses\":[\"a\",\"b\"]}",
            GoFormat.JsonObject([new KeyValuePair<string, IReadOnlyList<string>>("responses", ["a", "b"]), new KeyValuePair<string, IReadOnlyList<string>>("errors", ["x"])]));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("5s", 5000)]
    [InlineData("300ms", 300)]
    [InlineData("1m30s", 90000)]
    [InlineData("1.5h", 5400000)]
    [InlineData("-2s", -2000)]
    public void Parses_go_durations(string text, double milliseconds)
    {
        Assert.True(GoFormat.TryParseDuration(text, out var duration));
        Assert.Equal(milliseconds, duration.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5x")]
    [InlineData("s")]
    public void Rejects_bad_durations(string text)
    {
        Assert.False(GoFormat.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(2000, "2s")]
    [InlineData(1500, "1.5s")]
    [InlineData(90000, "1m30s")]
    [InlineData(250, "250ms")]
    [InlineData(3600000, "1h0m0s")]
    public void Prints_go_durations(double milliseconds, string text)
    {
        Assert.Equal(text, GoFormat.Duration(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void Prints_time_as_go_percent_v()
    {
        var now = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234500);
        Assert.Equal("2024-05-06 07:08:09.12345 +0000 UTC m=+1.500000000", GoFormat.Time(now, TimeSpan.FromSeconds(1.5)));
    }

    [Theory]
    [InlineData("127.0.0.1", 80, "127.0.0.1:80")]
    [InlineData("::ffff:10.0.0.1", 8080, "10.0.0.1:8080")]
    [InlineData("fd00::1", 53, "[fd00::1]:53")]
    public void Prints_endpoints_as_go(string address, int port, string text)
    {
        Assert.Equal(text, GoFormat.Endpoint(IPAddress.Parse(address), port));
    }
}
