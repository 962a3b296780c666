namespace Strata.Agent.Server;

/// <summary>The kubelet server's endpoints that name a container: <c>/containerLogs/NS/POD/CONTAINER</c> and <c>/exec/NS/POD/CONTAINER</c>.</summary>
public enum KubeletEndpoint
{
    ContainerLogs,
    Exec,
}

/// <summary>A parsed container path (pkg/kubelet/server/server.go: <c>/containerLogs/{podNamespace}/{podID}/{containerName}</c>, <c>/exec/{podNamespace}/{podID}/{containerName}</c>).</summary>
public sealed record KubeletPath(KubeletEndpoint Endpoint, string Namespace, string Pod, string Container)
{
    /// <summary>The container path, or null for any other path (a 404). Segments are percent-decoded; empty ones are refused.</summary>
    public static KubeletPath? Parse(string path)
    {
        var segments = path.Split('/');
        if (segments.Length != 5 || segments[0].Length != 0)
        {
            return null;
        }

        KubeletEndpoint? endpoint = segments[1] switch
        {
            "containerLogs" => KubeletEndpoint.ContainerLogs,
            "exec" => KubeletEndpoint.Exec,
            _ => null,
        };
        if (endpoint is null || segments[2].Length == 0 || segments[3].Length == 0 || segments[4].Length == 0)
        {
            return null;
        }

        return new KubeletPath(endpoint.Value, Uri.UnescapeDataString(segments[2]), Uri.UnescapeDataString(segments[3]), Uri.UnescapeDataString(segments[4]));
    }
}
