using Microsoft.Extensions.Logging;

namespace Strata.Controllers.Machinery;

/// <summary>
/// The shape every control loop has (conventions #9): informers feed keys into a rate-limited <see cref="WorkQueue"/>,
/// and workers run an idempotent <see cref="ReconcileAsync"/> per key, which computes the desired state from the
/// informers' caches and applies only the difference. A failed key is retried with backoff.
/// </summary>
public abstract class Controller(string name, ILogger logger, int workers = 2, TimeSpan? maxRetryDelay = null)
{
    public string Name { get; } = name;

    protected ILogger Logger { get; } = logger;

    protected WorkQueue Queue { get; } = new(maxDelay: maxRetryDelay);

    /// <summary>The informers that must have synced before the first reconcile.</summary>
    protected abstract IEnumerable<IInformer> Informers { get; }

    /// <summary>Brings the object behind <paramref name="key"/> to its desired state; throws to be retried.</summary>
    protected abstract Task ReconcileAsync(string key, CancellationToken cancellationToken);

    /// <summary>Queues every object once the informers have synced (a fresh start reconciles everything).</summary>
    protected virtual IEnumerable<string> InitialKeys() => [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Informers.Select(i => i.WaitForSyncAsync(cancellationToken)));
        foreach (var key in InitialKeys())
        {
            Queue.Add(key);
        }

        ControllerLog.Started(Logger, Name, workers);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));
        }
        finally
        {
            Queue.Dispose();
        }
    }

    /// <summary>Queues a key (from informer handlers).</summary>
    public void Enqueue(string key) => Queue.Add(key);

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await Queue.GetAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return;
            }

            try
            {
                await ReconcileAsync(key, cancellationToken);
                Queue.Forget(key);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ControllerLog.ReconcileFailed(Logger, Name, key, Queue.Failures(key) + 1, e.Message);
                Queue.AddRateLimited(key);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }
}

internal static partial class ControllerLog
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "{Controller} controller started with {Workers} workers")]
    public static partial void Started(ILogger logger, string controller, int workers);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Controller} controller: syncing {Key} failed (attempt {Attempt}), will retry: {Reason}")]
    public static partial void ReconcileFailed(ILogger logger, string controller, string key, int attempt, string reason);
}
