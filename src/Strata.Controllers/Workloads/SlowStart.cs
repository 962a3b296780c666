namespace Strata.Controllers.Workloads;

/// <summary>slowStartBatch (pkg/controller/replicaset/replica_set.go): calls in batches of 1, 2, 4… in parallel, stopping after a batch with a failure.</summary>
public static class SlowStart
{
    public const int InitialBatchSize = 1;

    /// <summary>The number of successful calls and the first error, if any.</summary>
    public static async Task<(int Successes, Exception? Error)> RunAsync(int count, Func<Task> call)
    {
        var remaining = count;
        var successes = 0;
        for (var batch = Math.Min(remaining, InitialBatchSize); batch > 0; batch = Math.Min(2 * batch, remaining))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, batch).Select(async _ =>
            {
                try
                {
                    await call();
                    return null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return e;
                }
            }));
            var errors = results.Where(e => e is not null).ToList();
            successes += batch - errors.Count;
            if (errors.Count > 0)
            {
                return (successes, errors[0]);
            }

            remaining -= batch;
        }

        return (successes, null);
    }
}
