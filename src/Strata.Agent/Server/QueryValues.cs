namespace Strata.Agent.Server;

/// <summary>How Kubernetes' parameter codec reads query values (apimachinery runtime conversion of url.Values).</summary>
internal static class QueryValues
{
    /// <summary>Convert_Slice_string_To_bool: absent, empty, "false" and "0" are false; anything else is true.</summary>
    public static bool Bool(IReadOnlyList<string> values) =>
        values.Count > 0 && values[0].ToLowerInvariant() is not ("" or "false" or "0");

    /// <summary>The kubelet's remotecommand flags: exactly "1" is on (pkg/kubelet/cri/streaming/remotecommand NewOptions).</summary>
    public static bool Flag(IReadOnlyList<string> values) => values.Count > 0 && values[0] == "1";
}
