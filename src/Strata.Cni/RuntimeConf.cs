using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>One attachment's arguments (libcni RuntimeConf): who, where, and the capability data.</summary>
public sealed record RuntimeConf
{
    /// <summary>Longest interface name Linux accepts (IFNAMSIZ - 1).</summary>
    public const int MaxInterfaceNameLength = 15;

    public required string ContainerId { get; init; }

    /// <summary>CNI_NETNS: a path such as /run/netns/cni-…; empty is allowed for DEL.</summary>
    public string NetNs { get; init; } = string.Empty;

    public string IfName { get; init; } = "eth0";

    /// <summary>CNI_ARGS pairs.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Args { get; init; } = [];

    /// <summary>Capability data (portMappings, ips …), injected into runtimeConfig for plugins that declare the capability.</summary>
    public IReadOnlyDictionary<string, JsonNode> CapabilityArgs { get; init; } = new Dictionary<string, JsonNode>();

    /// <summary>CNI_ARGS as the plugin sees it: K=V pairs joined with ';'.</summary>
    public string ArgsText => string.Join(';', Args.Select(a => $"{a.Key}={a.Value}"));

    /// <summary>
    /// The checks libcni makes before ADD (pkg/utils ValidateContainerID and ValidateInterfaceName);
    /// Strata also makes them before CHECK and DEL, since both name a file in the result cache.
    /// </summary>
    public void Validate()
    {
        if (ContainerId.Length == 0)
        {
            throw new CniConfigException("missing containerID", 3);
        }

        if (!NetworkConfigList.ValidName().IsMatch(ContainerId))
        {
            throw new CniConfigException($"invalid characters in containerID \"{ContainerId}\": it must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$", 4);
        }

        if (IfName.Length == 0)
        {
            throw new CniConfigException("interface name is empty", 4);
        }

        if (System.Text.Encoding.UTF8.GetByteCount(IfName) > MaxInterfaceNameLength)
        {
            throw new CniConfigException($"interface name \"{IfName}\" is too long: it should be less than {MaxInterfaceNameLength + 1} characters", 4);
        }

        if (IfName is "." or "..")
        {
            throw new CniConfigException($"interface name is \"{IfName}\"", 4);
        }

        if (IfName.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
        {
            throw new CniConfigException($"interface name \"{IfName}\" contains / or : or whitespace characters", 4);
        }
    }
}
