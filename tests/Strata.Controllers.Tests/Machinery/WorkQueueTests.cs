using Strata.Controllers.Machinery;

namespace Strata.Controllers.Tests.Machinery;

public sealed class WorkQueueTests
{
    [Fact]
    public async Task A_key_added_twice_is_handed_out_once()
    {
        using var queue = new WorkQueue();
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");
        Assert.Equal(2, queue.Length);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None));
        Assert.Equal("b", await queue.GetAsync(CancellationToken.None));
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public async Task A_key_added_while_processing_waits_until_done()
    {
        using var queue = new WorkQueue();
        queue.Add("a");
        var key = await queue.GetAsync(CancellationToken.None);
        queue.Add("a");
        using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.GetAsync(shortWait.Token));
        queue.Done(key);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Failures_back_off_exponentially_until_forgotten()
    {
        using var queue = new WorkQueue(baseDelay: TimeSpan.FromMilliseconds(50));
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        Assert.Equal(3, queue.Failures("a"));
        Assert.Equal(0, queue.Length);
        Assert.Equal("a", await queue.GetAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        queue.Forget("a");
        Assert.Equal(0, queue.Failures("a"));
    }
}
