using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>The cases of k8s.io/apimachinery/pkg/util/duration/duration_test.go (v0.32.9).</summary>
public class HumanDurationTests
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private const long S = TimeSpan.TicksPerSecond;
    private const long M = TimeSpan.TicksPerMinute;
    private const long H = TimeSpan.TicksPerHour;
    private const long D = TimeSpan.TicksPerDay;
    private const long Y = 365 * D;

    public static TheoryData<long, string> Human => new()
    {
        { S, "1s" },
        { 70 * S, "70s" },
        { 190 * S, "3m10s" },
        { 70 * M, "70m" },
        { 47 * H, "47h" },
        { 49 * H, "2d1h" },
        { (8 * 24 + 2) * H, "8d" },
        { 367 * D, "367d" },
        { 2 * Y + 25 * H, "2y1d" },
        { 8 * Y + 2 * H, "8y" },
        // TestHumanDurationBoundaries; Go's "+ 1" nanosecond is one 100 ns tick here.
        { -2 * S, "<invalid>" },
        { -2 * S + 1, "0s" },
        { 0, "0s" },
        { S - Ms, "0s" },
        { 2 * M - Ms, "119s" },
        { 2 * M, "2m" },
        { 2 * M + S, "2m1s" },
        { 10 * M - Ms, "9m59s" },
        { 10 * M, "10m" },
        { 10 * M + S, "10m" },
        { 3 * H - Ms, "179m" },
        { 3 * H, "3h" },
        { 3 * H + M, "3h1m" },
        { 8 * H - Ms, "7h59m" },
        { 8 * H, "8h" },
        { 8 * H + 59 * M, "8h" },
        { 2 * D - Ms, "47h" },
        { 2 * D, "2d" },
        // 2d + 1h is the same duration as 49h above.
        { 8 * D - Ms, "7d23h" },
        { 8 * D, "8d" },
        { 8 * D + 23 * H, "8d" },
        { 2 * Y - Ms, "729d" },
        { 2 * Y, "2y" },
        { 2 * Y + 23 * H, "2y" },
        { 2 * Y + 23 * H + 59 * M, "2y" },
        { 2 * Y + D - Ms, "2y" },
        { 2 * Y + D, "2y1d" },
        { 3 * Y, "3y" },
        { 4 * Y, "4y" },
        { 5 * Y, "5y" },
        { 6 * Y, "6y" },
        { 7 * Y, "7y" },
        { 8 * Y - Ms, "7y364d" },
        { 8 * Y, "8y" },
        { 8 * Y + 364 * D, "8y" },
        { 9 * Y, "9y" },
    };

    public static TheoryData<long, string> Short => new()
    {
        { -2 * S, "<invalid>" },
        { -2 * S + 1, "0s" },
        { 0, "0s" },
        { S - Ms, "0s" },
        { S, "1s" },
        { 2 * S - Ms, "1s" },
        { M - Ms, "59s" },
        { M, "1m" },
        { 2 * M - Ms, "1m" },
        { H - Ms, "59m" },
        { H, "1h" },
        { 2 * H - Ms, "1h" },
        { D - Ms, "23h" },
        { D, "1d" },
        { 2 * D - Ms, "1d" },
        { Y - Ms, "364d" },
        { Y, "1y" },
        { 2 * Y - Ms, "1y" },
        { 2 * Y, "2y" },
    };

    [Theory]
    [MemberData(nameof(Human))]
    public void HumanDurationMatchesApimachinery(long ticks, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromTicks(ticks)));

    [Theory]
    [MemberData(nameof(Short))]
    public void ShortHumanDurationMatchesApimachinery(long ticks, string expected) =>
        Assert.Equal(expected, HumanDuration.FormatShort(TimeSpan.FromTicks(ticks)));

    /// <summary>TestTranslateTimestampSince in printers_test.go, with a fixed now.</summary>
    [Theory]
    [InlineData(-2.1, "<invalid>")] // a while from now
    [InlineData(-1.9, "0s")] // almost now
    [InlineData(0, "0s")]
    [InlineData(30, "30s")]
    [InlineData(300, "5m")]
    [InlineData(6000, "100m")] // an hour ago
    [InlineData(2 * 86400, "2d")]
    [InlineData(90 * 86400, "90d")] // months ago
    public void SinceTranslatesTimestamps(double secondsAgo, string expected) =>
        Assert.Equal(expected, HumanDuration.Since(Rows.Now.AddSeconds(-secondsAgo), Rows.Now));

    [Fact]
    public void SinceTenYearsAgoIsTenYears() =>
        Assert.Equal("10y", HumanDuration.Since(Rows.Now.AddYears(-10), Rows.Now));

    [Fact]
    public void SinceAnUnsetTimestampIsUnknown() => Assert.Equal("<unknown>", HumanDuration.Since(null, Rows.Now));
}
