using System.Runtime.InteropServices;
using static Strata.Netlink.Interop.Libc;

namespace Strata.Netlink;

/// <summary>
/// An open network namespace. Named namespaces are compatible with <c>ip netns</c>: a file
/// under <c>/run/netns</c> with the namespace bind-mounted on it, in a directory made a shared
/// mount point (iproute2 ip/ipnetns.c, netns_add), so <c>ip netns exec</c> works on ours and we
/// can open theirs.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    public const string RunDirectory = "/run/netns";

    private NetworkNamespace(SafeNetNsHandle handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    /// <summary>The name under <c>/run/netns</c>, or a description such as <c>pid 42</c> or <c>current</c>.</summary>
    public string Name { get; }

    internal SafeNetNsHandle Handle { get; }

    public static NetworkNamespace Open(string nameOrPath)
    {
        string path = nameOrPath.Contains('/') ? nameOrPath : PathOf(nameOrPath);
        return OpenPath(path, nameOrPath.Contains('/') ? path : nameOrPath);
    }

    public static NetworkNamespace OpenPid(int pid) => OpenPath($"/proc/{pid}/ns/net", $"pid {pid}");

    /// <summary>The namespace of the calling thread.</summary>
    public static NetworkNamespace OpenCurrent() => OpenPath("/proc/thread-self/ns/net", "current");

    public static bool Exists(string name) => ValidateName(name) is null && File.Exists(PathOf(name));

    public static IReadOnlyList<string> List()
    {
        if (!Directory.Exists(RunDirectory))
        {
            return [];
        }

        return Directory.EnumerateFiles(RunDirectory).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary><c>ip netns add NAME</c>: creates the namespace and returns it open.</summary>
    public static NetworkNamespace Create(string name)
    {
        string operation = $"netns add {name}";
        if (ValidateName(name) is { } problem)
        {
            throw new NetlinkArgumentException(operation, name, problem);
        }

        string path = PathOf(name);
        PrepareRunDirectory(operation, name);
        using (var placeholder = SafeFileDescriptor.Wrap<SafeNetNsHandle>(open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0), out int errno))
        {
            if (placeholder is null)
            {
                throw new NetlinkException(operation, name, errno, $"cannot create {path}");
            }
        }
        try
        {
            DedicatedThread.Run($"netns add {name}", () =>
            {
                using var original = OpenPath("/proc/thread-self/ns/net", "current");
                if (unshare(CLONE_NEWNET) != 0)
                {
                    throw new NetlinkException(operation, name, Marshal.GetLastPInvokeError(), "unshare(CLONE_NEWNET) failed");
                }

                try
                {
                    if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, 0) != 0)
                    {
                        throw new NetlinkException(operation, name, Marshal.GetLastPInvokeError(), $"cannot bind-mount the namespace on {path}");
                    }
                }
                finally
                {
                    SwitchTo(original, "current");
                }

                return 0;
            });
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return Open(name);
    }

    /// <summary><c>ip netns del NAME</c>. Deleting a name that does not exist is an error, as in iproute2.</summary>
    public static void Delete(string name)
    {
        string operation = $"netns del {name}";
        if (ValidateName(name) is { } problem)
        {
            throw new NetlinkArgumentException(operation, name, problem);
        }

        string path = PathOf(name);
        if (!File.Exists(path))
        {
            throw new NetlinkException(operation, name, Interop.Errno.ENOENT, $"{path} does not exist");
        }

        umount2(path, MNT_DETACH); // not mounted when a crash interrupted Create: unlink anyway
        File.Delete(path);
    }

    /// <summary>Runs <paramref name="action"/> on a dedicated thread switched into this namespace, and waits for it.</summary>
    public T Run<T>(Func<T> action)
    {
        return DedicatedThread.Run($"netns {Name}", () =>
        {
            using var original = OpenPath("/proc/thread-self/ns/net", "current");
            SwitchTo(this.Handle, Name);
            try
            {
                return action();
            }
            finally
            {
                SwitchTo(original, "current");
            }
        });
    }

    public void Run(Action action) => Run(() =>
    {
        action();
        return 0;
    });

    /// <summary>Reads a per-namespace sysctl, e.g. <c>net.ipv4.ip_forward</c> or <c>net/ipv4/conf/flannel.1/rp_filter</c>.</summary>
    public string ReadSysctl(string key)
    {
        string path = SysctlPath(key);
        return Run(() => ReadProcFile(path, key)).Trim();
    }

    public void WriteSysctl(string key, string value)
    {
        string path = SysctlPath(key);
        Run(() =>
        {
            string operation = $"sysctl -w {key}={value}";
            if (!File.Exists(path))
            {
                throw new NetlinkException(operation, Name, Interop.Errno.ENOENT, $"{path} does not exist{HintFor(key)}");
            }

            try
            {
                File.WriteAllText(path, value);
            }
            catch (IOException ex)
            {
                throw new IOException($"{operation} (netns {Name}): {ex.Message}", ex);
            }
        });
    }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => Name;

    internal static string PathOf(string name) => Path.Combine(RunDirectory, name);

    internal static string? ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "namespace name is empty";
        }

        if (name is "." or ".." || name.Contains('/') || name.Any(char.IsControl))
        {
            return $"namespace name \"{name}\" is not a valid file name";
        }

        return name.Length > 255 ? $"namespace name \"{name}\" is longer than 255 bytes" : null;
    }

    private static string ReadProcFile(string path, string key)
    {
        if (!File.Exists(path))
        {
            throw new KeyNotFoundException($"sysctl {key}: {path} does not exist{HintFor(key)}");
        }

        return File.ReadAllText(path);
    }

    private static string HintFor(string key) =>
        key.Contains("bridge") ? " (the br_netfilter module must be loaded for net.bridge.* keys)" : string.Empty;

    internal static string SysctlPath(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains("..") || key.StartsWith('/'))
        {
            throw new ArgumentException($"invalid sysctl key \"{key}\"", nameof(key));
        }

        // sysctl(8): dots separate components unless the key already uses slashes, which lets
        // interface names containing dots (flannel.1) be written.
        string relative = key.Contains('/') ? key : key.Replace('.', '/');
        if (!relative.StartsWith("net/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"sysctl key \"{key}\" is not per network namespace (it must start with net.)", nameof(key));
        }

        return "/proc/sys/" + relative;
    }

    private static NetworkNamespace OpenPath(string path, string name)
    {
        var handle = SafeFileDescriptor.Wrap<SafeNetNsHandle>(open(path, O_RDONLY | O_CLOEXEC, 0), out int errno)
            ?? throw new NetlinkException($"netns open {path}", name, errno);

        return new NetworkNamespace(handle, name);
    }

    private static void SwitchTo(NetworkNamespace target, string name) => SwitchTo(target.Handle, name);

    private static void SwitchTo(SafeNetNsHandle handle, string name)
    {
        if (setns(handle, CLONE_NEWNET) != 0)
        {
            throw new NetlinkException("setns", name, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>mkdir /run/netns, and make it a shared mount point, exactly as iproute2's netns_add.</summary>
    private static void PrepareRunDirectory(string operation, string name)
    {
        Directory.CreateDirectory(RunDirectory);
        bool madeMountPoint = false;
        while (mount("", RunDirectory, "none", MS_SHARED | MS_REC, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interop.Errno.EINVAL || madeMountPoint)
            {
                throw new NetlinkException(operation, name, errno, $"cannot make {RunDirectory} a shared mount");
            }

            if (mount(RunDirectory, RunDirectory, "none", MS_BIND | MS_REC, 0) != 0)
            {
                throw new NetlinkException(operation, name, Marshal.GetLastPInvokeError(), $"cannot bind-mount {RunDirectory} on itself");
            }

            madeMountPoint = true;
        }
    }
}
