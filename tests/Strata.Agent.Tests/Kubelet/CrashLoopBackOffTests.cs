using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class CrashLoopBackOffTests
{
    [Fact]
    public void FirstRestartIsImmediateThenDoublesUpToTheCap()
    {
        var backOff = CrashLoopBackOff.Default;
        TimeSpan? delay = null;
        var seen = new List<int>();
        for (int i = 0; i < 8; i++)
        {
            delay = backOff.Next(delay, TimeSpan.FromSeconds(1));
            seen.Add((int)delay.Value.TotalSeconds);
        }

        Assert.Equal([0, 10, 20, 40, 80, 160, 300, 300], seen);
    }

    [Fact]
    public void AContainerThatRanLongStartsOver()
    {
        Assert.Equal(TimeSpan.Zero, CrashLoopBackOff.Default.Next(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10)));
        Assert.Equal(TimeSpan.FromMinutes(5), CrashLoopBackOff.Default.Next(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(9)));
    }

    [Theory]
    [InlineData(10, "10s")]
    [InlineData(80, "1m20s")]
    [InlineData(300, "5m0s")]
    public void FormatsAsGoDurations(int seconds, string expected)
    {
        Assert.Equal(expected, CrashLoopBackOff.Format(TimeSpan.FromSeconds(seconds)));
    }
}
