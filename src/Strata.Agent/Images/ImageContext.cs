namespace Strata.Agent.Images;

/// <summary>What the image table needs to know about the node and the pod besides the pod spec.</summary>
/// <param name="StrataPath">The strata executable (agnhost, pause and <c>strata/&lt;role&gt;</c> images run it).</param>
/// <param name="PodDirectory">The pod's own directory on the node; a container's files go under <c>PodDirectory/&lt;container&gt;/</c>.</param>
/// <param name="FindExecutable">
/// Resolves a program name as execvp does (a name with <c>/</c> as is, otherwise along PATH); null when it is not
/// there. The kubelet passes the node's lookup; tests pass a table.
/// </param>
public sealed record ImageContext(string StrataPath, string PodDirectory, Func<string, string?> FindExecutable)
{
    /// <summary>A context that resolves programs on this host's filesystem along <paramref name="path"/> (a PATH value).</summary>
    public static ImageContext ForHost(string strataPath, string podDirectory, string? path = null) =>
        new(strataPath, podDirectory, name => HostExecutables.Find(name, path ?? HostExecutables.DefaultPath));
}
