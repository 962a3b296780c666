using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static Strata.Lab.Interop.Libc;

namespace Strata.Lab;

/// <summary>What to start: a program, its arguments, where its output goes, which namespaces it runs in.</summary>
public sealed record SpawnSpec
{
    /// <summary>An absolute path; or a bare name looked up on PATH inside the target mount namespace when <see cref="SearchPath"/> is set.</summary>
    public required string Program { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Null: stdin, stdout and stderr are inherited. Otherwise stdin is /dev/null and both outputs append here.</summary>
    public string? LogFile { get; init; }

    /// <summary>Start a new session (setsid), detached from our terminal and process group.</summary>
    public bool NewSession { get; init; }

    /// <summary>A socket to hand down as fd 3, without close-on-exec.</summary>
    public SafeHandle? PassedDescriptor { get; init; }

    public string? NetworkNamespace { get; init; }

    public string? MountNamespace { get; init; }

    public bool SearchPath { get; init; }
}

/// <summary>
/// Starts processes with posix_spawn from a thread switched into the target namespaces: the child
/// inherits the thread's namespaces, and it gets default signal dispositions and an empty signal
/// mask (the runtime ignores SIGPIPE, which exec would otherwise pass on).
/// </summary>
public static class LabSpawner
{
    public const int PassedDescriptorNumber = 3;

    /// <summary>Starts the process and returns its pid.</summary>
    public static int Spawn(SpawnSpec spec)
    {
        using var log = spec.LogFile is null ? null : File.OpenHandle(spec.LogFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using var devNull = spec.LogFile is null ? null : File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return NamespaceThread.Run(spec.NetworkNamespace, spec.MountNamespace, () => SpawnHere(spec, log, devNull));
    }

    /// <summary>Runs a command in the foreground with our stdio and returns its exit code (128+signal when killed), as a shell does.</summary>
    public static int Run(SpawnSpec spec)
    {
        int pid = Spawn(spec with { LogFile = null, NewSession = false });
        while (true)
        {
            int rc = waitpid(pid, out int status, 0);
            if (rc == pid)
            {
                int signal = status & 0x7f;
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
            }

            if (Marshal.GetLastPInvokeError() != 4) // EINTR
            {
                throw LabSystemException.FromErrno($"waitpid {pid}");
            }
        }
    }

    private static unsafe int SpawnHere(SpawnSpec spec, SafeFileHandle? log, SafeFileHandle? devNull)
    {
        nint actions = (nint)NativeMemory.AllocZeroed(OpaqueSize);
        nint attributes = (nint)NativeMemory.AllocZeroed(OpaqueSize);
        nint signals = (nint)NativeMemory.AllocZeroed(OpaqueSize);
        var strings = new List<nint>();
        bool addedLog = false, addedNull = false, addedPassed = false;
        try
        {
            posix_spawn_file_actions_init(actions);
            posix_spawnattr_init(attributes);
            if (log is not null && devNull is not null)
            {
                log.DangerousAddRef(ref addedLog);
                devNull.DangerousAddRef(ref addedNull);
                int logFd = (int)log.DangerousGetHandle();
                posix_spawn_file_actions_adddup2(actions, (int)devNull.DangerousGetHandle(), 0);
                posix_spawn_file_actions_adddup2(actions, logFd, 1);
                posix_spawn_file_actions_adddup2(actions, logFd, 2);
            }

            if (spec.PassedDescriptor is { } passed)
            {
                passed.DangerousAddRef(ref addedPassed);
                // dup2 onto fd 3 clears close-on-exec there; the original stays close-on-exec.
                posix_spawn_file_actions_adddup2(actions, (int)passed.DangerousGetHandle(), PassedDescriptorNumber);
            }

            short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
            if (spec.NewSession)
            {
                flags |= POSIX_SPAWN_SETSID;
            }

            sigfillset(signals);
            posix_spawnattr_setsigdefault(attributes, signals);
            sigemptyset(signals);
            posix_spawnattr_setsigmask(attributes, signals);
            posix_spawnattr_setflags(attributes, flags);

            nint program = Utf8(spec.Program, strings);
            nint argv = NullTerminated([spec.Program, .. spec.Arguments], strings);
            var environment = Environment.GetEnvironmentVariables();
            var entries = new List<string>();
            foreach (System.Collections.DictionaryEntry entry in environment)
            {
                entries.Add($"{entry.Key}={entry.Value}");
            }

            nint envp = NullTerminated(entries, strings);
            int error = spec.SearchPath
                ? posix_spawnp(out int pid, program, actions, attributes, argv, envp)
                : posix_spawn(out pid, program, actions, attributes, argv, envp);
            if (error != 0)
            {
                throw LabSystemException.FromErrno($"exec {spec.Program}", error);
            }

            return pid;
        }
        finally
        {
            if (addedLog)
            {
                log!.DangerousRelease();
            }

            if (addedNull)
            {
                devNull!.DangerousRelease();
            }

            if (addedPassed)
            {
                spec.PassedDescriptor!.DangerousRelease();
            }

            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attributes);
            NativeMemory.Free((void*)actions);
            NativeMemory.Free((void*)attributes);
            NativeMemory.Free((void*)signals);
            foreach (nint s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    private static nint Utf8(string text, List<nint> owned)
    {
        nint p = Marshal.StringToCoTaskMemUTF8(text);
        owned.Add(p);
        return p;
    }

    private static nint NullTerminated(IReadOnlyList<string> items, List<nint> owned)
    {
        nint array = Marshal.AllocCoTaskMem(nint.Size * (items.Count + 1));
        owned.Add(array);
        for (int i = 0; i < items.Count; i++)
        {
            Marshal.WriteIntPtr(array, i * nint.Size, Utf8(items[i], owned));
        }

        Marshal.WriteIntPtr(array, items.Count * nint.Size, 0);
        return array;
    }
}
