using System.Runtime.InteropServices;
using System.Text;
using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>
/// Starts a program inside namespaces with posix_spawn(3) from a thread that has joined them: a new session, the
/// default signal mask and dispositions (the agent's runtime ignores SIGPIPE; a container must not inherit that), the
/// given stdio, and nothing else inherited. The process outlives the agent, as a container outlives a kubelet restart.
/// </summary>
public static class ProcessSpawner
{
    /// <summary>The PATH a container gets when its environment has none (the OCI default of runc and containerd).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static SpawnedProcess Spawn(SpawnRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.Path);
        int pid = NamespaceEntry.Run(request.Namespaces, () => SpawnHere(request));
        return SpawnedProcess.Started(pid);
    }

    /// <summary>
    /// What execvp(3) would run for <paramref name="name"/> with the PATH of <paramref name="environment"/>: a name with a
    /// slash as it is (if it exists), else the first executable file on PATH; null when there is none.
    /// </summary>
    public static string? FindExecutable(string name, IReadOnlyList<string> environment)
    {
        if (name.Length == 0)
        {
            return null;
        }

        if (name.Contains('/'))
        {
            return File.Exists(name) ? name : null;
        }

        var path = environment.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        foreach (var directory in path.Split(':'))
        {
            var candidate = Path.Combine(directory.Length == 0 ? "." : directory, name);
            if (File.Exists(candidate) && access(candidate, X_OK) == 0)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Spawns from the calling thread, in whatever namespaces it is in; returns the PID (the caller wraps it).</summary>
    internal static unsafe int SpawnHere(SpawnRequest request)
    {
        // Checked here, inside the target mount namespace, for messages that say which of the two is missing.
        if (request.WorkingDirectory is { } cwd && !Directory.Exists(cwd))
        {
            throw new SpawnException(2, $"chdir {cwd}: No such file or directory");
        }

        if (!File.Exists(request.Path))
        {
            throw new SpawnException(2, $"exec {request.Path}: No such file or directory");
        }

        var handles = new[] { request.StandardInput, request.StandardOutput, request.StandardError };
        var added = new List<SafeHandle>();
        void* actions = NativeMemory.AllocZeroed(SpawnFileActionsSize);
        void* attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        void* mask = NativeMemory.AllocZeroed(SigSetSize);
        void* defaults = NativeMemory.AllocZeroed(SigSetSize);
        using var argv = new NativeStringArray([request.ArgumentZero ?? request.Path, .. request.Arguments]);
        using var envp = new NativeStringArray(request.Environment);
        Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
        try
        {
            if (request.Terminal is { } terminal)
            {
                // Opened after setsid() without O_NOCTTY, the terminal becomes the session's controlling terminal.
                Check(posix_spawn_file_actions_addopen(actions, 0, terminal, O_RDWR, 0), "posix_spawn_file_actions_addopen");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 1), "posix_spawn_file_actions_adddup2");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 2), "posix_spawn_file_actions_adddup2");
            }
            else
            {
                for (int fd = 0; fd < 3; fd++)
                {
                    if (handles[fd] is { } handle)
                    {
                        bool ok = false;
                        handle.DangerousAddRef(ref ok);
                        added.Add(handle);
                        Check(posix_spawn_file_actions_adddup2(actions, (int)handle.DangerousGetHandle(), fd), "posix_spawn_file_actions_adddup2");
                    }
                    else
                    {
                        Check(posix_spawn_file_actions_addopen(actions, fd, "/dev/null", O_RDWR, 0), "posix_spawn_file_actions_addopen");
                    }
                }
            }

            if (request.WorkingDirectory is { } directory)
            {
                Check(posix_spawn_file_actions_addchdir_np(actions, directory), "posix_spawn_file_actions_addchdir_np");
            }

            _ = sigemptyset(mask);
            _ = sigfillset(defaults);
            Check(posix_spawnattr_setsigmask(attr, mask), "posix_spawnattr_setsigmask");
            Check(posix_spawnattr_setsigdefault(attr, defaults), "posix_spawnattr_setsigdefault");
            Check(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");

            int error = posix_spawn(out int pid, request.Path, actions, attr, argv.Pointer, envp.Pointer);
            if (error != 0)
            {
                throw new SpawnException(error, $"exec {request.Path}: {Marshal.GetPInvokeErrorMessage(error)}");
            }

            return pid;
        }
        finally
        {
            foreach (var handle in added)
            {
                handle.DangerousRelease();
            }

            _ = posix_spawnattr_destroy(attr);
            _ = posix_spawn_file_actions_destroy(actions);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
        }
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new SpawnException(error, $"{call}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
    }

    /// <summary>A NULL-terminated array of NUL-terminated UTF-8 strings (argv, envp), freed on dispose.</summary>
    private sealed unsafe class NativeStringArray : IDisposable
    {
        private readonly byte** _array;
        private readonly int _count;

        public NativeStringArray(IReadOnlyList<string> strings)
        {
            _count = strings.Count;
            _array = (byte**)NativeMemory.AllocZeroed((nuint)(_count + 1), (nuint)sizeof(byte*));
            for (int i = 0; i < _count; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(strings[i]);
                var native = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
                bytes.CopyTo(new Span<byte>(native, bytes.Length));
                native[bytes.Length] = 0;
                _array[i] = native;
            }
        }

        public byte** Pointer => _array;

        public void Dispose()
        {
            for (int i = 0; i < _count; i++)
            {
                NativeMemory.Free(_array[i]);
            }

            NativeMemory.Free(_array);
        }
    }
}
