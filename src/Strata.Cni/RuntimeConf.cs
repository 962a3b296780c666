using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>One attachment's arguments (libcni RuntimeConf): who, where, and the capability data.</summary>
public sealed record RuntimeConf
{
    public required string ContainerId { get; init; }

    /// <summary>CNI_NETNS: a path such as /run/netns/cni-…; empty is allowed for DEL.</summary>
    public string NetNs { get; init; } = string.Empty;

    public string IfName { get; init; } = "eth0";

    /// <summary>CNI_ARGS pairs.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Args { get; init; } = [];

    /// <summary>Capability data (portMappings, ips …), injected into runtimeConfig for plugins that declare the capability.</summary>
    public IReadOnlyDictionary<string, JsonNode> CapabilityArgs { get; init; } = new Dictionary<string, JsonNode>();

    public string ArgsText => string.Join(';', Args.Select(a => $"{a.Key}={a.Value}"));
}
