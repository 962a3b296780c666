using System.ComponentModel;
using System.Globalization;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>
/// A process the agent started or adopted, held by a pidfd (pidfd_open(2)) so that signals never reach a later
/// process that reused the PID. Its exit is seen through <see cref="ExitWatcher"/>.
/// </summary>
public sealed class SpawnedProcess : IDisposable
{
    private readonly SafeFileDescriptor _pidfd;
    private readonly TaskCompletionSource<int?> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _child;

    private SpawnedProcess(int pid, ulong startTime, SafeFileDescriptor pidfd, bool child)
    {
        Pid = pid;
        StartTime = startTime;
        _pidfd = pidfd;
        _child = child;
        ExitWatcher.Instance.Watch(this, pidfd);
    }

    public int Pid { get; }

    /// <summary>Field 22 of /proc/PID/stat (clock ticks after boot): with the PID, it names one process for good.</summary>
    public ulong StartTime { get; }

    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>
    /// The process that <paramref name="pid"/> and <paramref name="startTime"/> name, after an agent restart; null when it
    /// has gone or the PID now belongs to another process.
    /// </summary>
    public static SpawnedProcess? Adopt(int pid, ulong startTime)
    {
        if (ReadStartTime(pid) != startTime)
        {
            return null;
        }

        int fd = pidfd_open(SYS_pidfd_open, pid, 0);
        if (fd < 0)
        {
            return null;
        }

        var pidfd = SafeFileDescriptor.FromResult(fd, "pidfd_open");
        if (ReadStartTime(pid) != startTime)
        {
            // The PID was reused between the check and the open.
            pidfd.Dispose();
            return null;
        }

        return new SpawnedProcess(pid, startTime, pidfd, child: false);
    }

    /// <summary>The start time of a live process, or null when there is none with that PID.</summary>
    public static ulong? ReadStartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The exit code, 128 + the signal when a signal ended it (as a shell reports it); null when the process was adopted,
    /// so that another process reaped it.
    /// </summary>
    public Task<int?> WaitForExitAsync(CancellationToken cancellationToken = default) => _exit.Task.WaitAsync(cancellationToken);

    /// <summary>pidfd_send_signal(2); a process that has already exited is not an error.</summary>
    public unsafe void Signal(int signal)
    {
        if (pidfd_send_signal(SYS_pidfd_send_signal, _pidfd, signal, null, 0) != 0)
        {
            var error = Errors.Last($"signal {signal} to pid {Pid}");
            if (error.NativeErrorCode != 3 /* ESRCH */)
            {
                throw error;
            }
        }
    }

    public void Dispose()
    {
        ExitWatcher.Instance.Forget(this);
        _pidfd.Dispose();
    }

    internal static SpawnedProcess Started(int pid)
    {
        var pidfd = SafeFileDescriptor.FromResult(pidfd_open(SYS_pidfd_open, pid, 0), $"pidfd_open {pid}");
        return new SpawnedProcess(pid, ReadStartTime(pid) ?? 0, pidfd, child: true);
    }

    /// <summary>Called by the watcher once the pidfd is readable: the process has ended.</summary>
    internal unsafe void OnExited()
    {
        if (!_child)
        {
            _exit.TrySetResult(null);
            return;
        }

        SigInfo info = default;
        if (waitid(P_PIDFD, _pidfd.Fd, &info, WEXITED) != 0)
        {
            var error = Errors.Last($"waitid {Pid}");
            if (error.NativeErrorCode == 10 /* ECHILD: reaped by someone else */)
            {
                _exit.TrySetResult(null);
                return;
            }

            _exit.TrySetException(error);
            return;
        }

        _exit.TrySetResult(info.Code == CLD_EXITED ? info.Status : 128 + info.Status);
    }

    internal void OnWatchFailed(Win32Exception error) => _exit.TrySetException(error);
}
