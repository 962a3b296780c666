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
