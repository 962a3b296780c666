using System.Collections.Concurrent;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>
/// One thread waits, with epoll, on the pidfds of every process the agent watches: a pidfd becomes readable when its
/// process exits. One thread for all of them, rather than a blocked thread per container.
/// </summary>
internal sealed class ExitWatcher
{
    public static readonly ExitWatcher Instance = new();

    private readonly SafeFileDescriptor _epoll;
    private readonly ConcurrentDictionary<ulong, SpawnedProcess> _watched = new();
    private readonly ConcurrentDictionary<SpawnedProcess, ulong> _ids = new();
    private long _nextId;

    private ExitWatcher()
    {
        _epoll = SafeFileDescriptor.FromResult(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
        new Thread(Loop) { IsBackground = true, Name = "strata exit watcher" }.Start();
    }

    public unsafe void Watch(SpawnedProcess process, SafeFileDescriptor pidfd)
    {
        // Keys are never reused, so an event still queued for a forgotten process cannot reach a newer one.
        var id = (ulong)Interlocked.Increment(ref _nextId);
        _watched[id] = process;
        _ids[process] = id;
        var ev = new EpollEvent { Events = EPOLLIN, Data = id };
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, pidfd.Fd, &ev) != 0)
        {
            Forget(process);
            process.OnWatchFailed(Errors.Last($"epoll_ctl ADD pid {process.Pid}"));
        }
    }

    /// <summary>Stops watching; closing the pidfd afterwards removes it from the epoll set.</summary>
    public void Forget(SpawnedProcess process)
    {
        if (_ids.TryRemove(process, out var id))
        {
            _watched.TryRemove(id, out _);
        }
    }

    private unsafe void Loop()
    {
        const int batch = 64;
        var events = stackalloc EpollEvent[batch];
        while (true)
        {
            int n = epoll_wait(_epoll, events, batch, -1);
            if (n < 0)
            {
                continue; // EINTR
            }

            for (int i = 0; i < n; i++)
            {
                if (_watched.TryRemove(events[i].Data, out var process))
                {
                    _ids.TryRemove(process, out _);
                    process.OnExited();
                }
            }
        }
    }
}
