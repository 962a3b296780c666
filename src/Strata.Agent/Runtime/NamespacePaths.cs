namespace Strata.Agent.Runtime;

/// <summary>
/// The namespaces a process is started in, as files (a bind-mounted nsfs file such as /run/netns/cni-…, or
/// /proc/PID/ns/…). Null means the caller's own.
/// </summary>
public sealed record NamespacePaths(string? Net = null, string? Mount = null, string? Uts = null)
{
    /// <summary>The agent's own namespaces: hostNetwork pods, and tests.</summary>
    public static NamespacePaths Current { get; } = new();
}
