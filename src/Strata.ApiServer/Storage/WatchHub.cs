using System.Threading.Channels;

namespace Strata.ApiServer.Storage;

/// <summary>
/// Fans committed changes out to watchers. Publishing happens under the store's write lock, so every
/// subscriber sees events in revision order; a watcher that falls <see cref="Capacity"/> events behind is
/// closed (as the watch cache closes a slow watcher) and its client re-lists.
/// </summary>
internal sealed class WatchHub
{
    public const int Capacity = 100_000;

    private readonly object _gate = new();
    private readonly List<Subscription> _subscriptions = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>
    /// Registers a watcher and writes <paramref name="backlog"/> ahead of anything published later; events at or
    /// below <paramref name="afterRevision"/> are never delivered (a watcher may start past what was published yet).
    /// </summary>
    public IWatchSubscription Subscribe(string prefix, IEnumerable<StoreEvent> backlog, long afterRevision = 0)
    {
        var subscription = new Subscription(this, prefix, afterRevision);
        foreach (var e in backlog)
        {
            subscription.Offer(e);
        }

        lock (_gate)
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    public void Publish(StoreEvent e)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Offer(e);
            }
        }
    }

    /// <summary>Closes the watchers that started before <paramref name="revision"/>: events up to it may not reach them.</summary>
    public void CloseStartedBefore(long revision)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions.Where(s => s.AfterRevision < revision).ToList())
            {
                subscription.Complete();
                _subscriptions.Remove(subscription);
            }
        }
    }

    public void CloseAll()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Complete();
            }

            _subscriptions.Clear();
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private sealed class Subscription(WatchHub hub, string prefix, long afterRevision) : IWatchSubscription
    {
        private readonly Channel<StoreEvent> _channel = Channel.CreateBounded<StoreEvent>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        public ChannelReader<StoreEvent> Events => _channel.Reader;

        public long AfterRevision => afterRevision;

        public void Offer(StoreEvent e)
        {
            if (e.Revision <= afterRevision || !e.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }

            if (!_channel.Writer.TryWrite(e))
            {
                // Too slow: end the stream rather than block writers or drop an event silently.
                _channel.Writer.TryComplete(new WatcherTooSlowException());
            }
        }

        public void Complete() => _channel.Writer.TryComplete();

        public void Dispose()
        {
            hub.Remove(this);
            _channel.Writer.TryComplete();
        }
    }
}

public sealed class WatcherTooSlowException() : StorageException("watcher fell too far behind and was closed");
