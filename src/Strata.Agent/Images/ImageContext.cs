using Strata.Agent.Runtime;

namespace Strata.Agent.Images;

/// <summary>What the image table needs to know about the node and the pod besides the pod spec.</summary>
/// <param name="StrataPath">The strata executable (agnhost, pause and <c>strata/&lt;role&gt;</c> images run it).</param>
/// <param name="PodDirectory">The pod's own directory on the node; a container's files go under <c>PodDirectory/&lt;container&gt;/</c>.</param>
/// <param name="FindExecutable">
/// Resolves a program name as execvp does (a name with <c>/</c> as is, otherwise along PATH); null when it is not
/// there. The kubelet passes the node's lookup with the container's PATH; tests pass a table.
/// </param>
public sealed record ImageContext(string StrataPath, string PodDirectory, Func<string, string?> FindExecutable)
{
    /// <summary>Variables the strata executable needs wherever it runs (DOTNET_ROOT when the agent has one).</summary>
    public IReadOnlyList<string> StrataEnvironment { get; init; } = [];

    /// <summary>
    /// The context on this node: programs are found on the node's filesystem along the container's PATH (the
    /// image's <see cref="ProcessSpawner.DefaultPath"/> unless <paramref name="containerEnvironment"/> sets PATH).
    /// </summary>
    public static ImageContext ForNode(string strataPath, string podDirectory, IReadOnlyList<string>? containerEnvironment = null) =>
        new(strataPath, podDirectory, name => ProcessSpawner.FindExecutable(name, containerEnvironment ?? []))
        {
            StrataEnvironment = Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? ["DOTNET_ROOT=" + root] : [],
        };
}
