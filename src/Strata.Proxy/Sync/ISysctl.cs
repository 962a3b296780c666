using Strata.Netlink;

namespace Strata.Proxy.Sync;

/// <summary>The node's sysctls (/proc/sys) in the network namespace the proxy programs.</summary>
public interface ISysctl
{
    /// <summary>The value, or null if the key does not exist.</summary>
    string? Read(string key);

    void Write(string key, string value);
}

/// <summary>/proc/sys of the calling process: the agent runs in the node's network namespace (hostNetwork).</summary>
public sealed class ProcSysctl : ISysctl
{
    public string? Read(string key) => File.Exists(PathOf(key)) ? File.ReadAllText(PathOf(key)).Trim() : null;

    public void Write(string key, string value) => File.WriteAllText(PathOf(key), value);

    private static string PathOf(string key) => "/proc/sys/" + key.Replace('.', '/');
}

/// <summary>The sysctls of another network namespace (/run/netns/NAME or any nsfs path), read and written from inside it.</summary>
public sealed class NamespaceSysctl(NetworkNamespace ns) : ISysctl
{
    public string? Read(string key)
    {
        try
        {
            return ns.ReadSysctl(key).Trim();
        }
        catch (NetlinkException)
        {
            return null;
        }
    }

    public void Write(string key, string value) => ns.WriteSysctl(key, value);
}
