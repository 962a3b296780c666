using System.Threading.Channels;

namespace Strata.Controllers.Machinery;

/// <summary>
/// client-go's rate-limited work queue (util/workqueue): a key is queued at most once, is never handed to two workers
/// at the same time, and is queued again after <see cref="Done"/> if it was added while being processed. Failed keys
/// come back after a per-key exponential backoff (5 ms doubling, capped) until <see cref="Forget"/>.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _dirty = [];
    private readonly HashSet<string> _processing = [];
    private readonly Dictionary<string, int> _failures = [];
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;

    public WorkQueue(TimeProvider? time = null, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _time = time ?? TimeProvider.System;
        _baseDelay = baseDelay ?? TimeSpan.FromMilliseconds(5);
        _maxDelay = maxDelay ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>Keys waiting (not counting those being processed).</summary>
    public int Length
    {
        get
        {
            lock (_lock)
            {
                return _dirty.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_lock)
        {
            if (!_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }
        }

        _ready.Writer.TryWrite(key);
    }

    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        _ = Task.Delay(delay, _time, _shutdown.Token).ContinueWith(_ => Add(key), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>Queues the key again after its backoff, which doubles with each failure.</summary>
    public void AddRateLimited(string key)
    {
        int failures;
        lock (_lock)
        {
            _failures.TryGetValue(key, out failures);
            _failures[key] = failures + 1;
        }

        var delay = _baseDelay * Math.Pow(2, Math.Min(failures, 30));
        AddAfter(key, delay < _maxDelay ? delay : _maxDelay);
    }

    public void Forget(string key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    public int Failures(string key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>The next key to process; the caller must call <see cref="Done"/> with it.</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(cancellationToken);
            lock (_lock)
            {
                if (_dirty.Remove(key))
                {
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    public void Done(string key)
    {
        bool again;
        lock (_lock)
        {
            _processing.Remove(key);
            again = _dirty.Contains(key);
        }

        if (again)
        {
            _ready.Writer.TryWrite(key);
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
        _ready.Writer.TryComplete();
    }
}
