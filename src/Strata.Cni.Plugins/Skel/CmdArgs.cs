using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Skel;

/// <summary>One invocation: the CNI_* environment and the network configuration from stdin.</summary>
public sealed record CmdArgs
{
    public required string Command { get; init; }

    public string ContainerId { get; init; } = string.Empty;

    public string Netns { get; init; } = string.Empty;

    public string IfName { get; init; } = string.Empty;

    /// <summary>CNI_ARGS as key/value pairs (<c>K8S_POD_NAME=web;K8S_POD_NAMESPACE=default</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Args { get; init; } = [];

    /// <summary>CNI_PATH, split on ':'.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    public byte[] StdinData { get; init; } = [];

    /// <summary>The parsed configuration (null for VERSION).</summary>
    public JsonObject? Config { get; init; }

    public string CniVersion => Config?["cniVersion"]?.GetValue<string>() ?? Skel.CniVersion.Current;

    public string NetworkName => Config?["name"]?.GetValue<string>() ?? string.Empty;
}
