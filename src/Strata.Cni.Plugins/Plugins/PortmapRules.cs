using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Iptables;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>One entry of the <c>portMappings</c> capability.</summary>
public sealed record PortMapping(int HostPort, int ContainerPort, string Protocol, string? HostIp);

/// <summary>portmap's configuration (plugins/meta/portmap/main.go, PortMapConf and parseConfig).</summary>
public sealed record PortmapConfig
{
    public const int DefaultMarkBit = 13;

    public required string Name { get; init; }

    public bool Snat { get; init; } = true;

    public int MarkMasqBit { get; init; } = DefaultMarkBit;

    public string? ExternalSetMarkChain { get; init; }

    public bool MasqAll { get; init; }

    public IReadOnlyList<string> ConditionsV4 { get; init; } = [];

    public IReadOnlyList<string> ConditionsV6 { get; init; } = [];

    public IReadOnlyList<PortMapping> PortMappings { get; init; } = [];

    /// <summary>The container's addresses, taken from prevResult: the IPs on CNI_IFNAME inside the sandbox.</summary>
    public IpPrefix? ContainerIpv4 { get; init; }

    public IpPrefix? ContainerIpv6 { get; init; }

    public bool HasPrevResult { get; init; }

    /// <summary>The protocols iptables' multiport match accepts (the entry rules use it), compared without case as iptables does.</summary>
    public static readonly IReadOnlyList<string> Protocols = ["tcp", "udp", "sctp", "udplite", "dccp"];

    /// <summary>
    /// Upstream reports configuration errors as plain errors (code 999): ADD and DEL prefix them with
    /// "failed to parse config: ", CHECK does not (main.go, cmdAdd/cmdDel/cmdCheck). With
    /// <paramref name="forDelete"/>, the checks Strata adds to upstream's (protocol, ports above
    /// 65535) are skipped: DEL after a refused ADD must succeed, or the runtime retries it forever.
    /// </summary>
    public static PortmapConfig Parse(JsonObject config, string ifName, string errorPrefix = "failed to parse config: ", bool forDelete = false)
    {
        try
        {
            return ParseInner(config, ifName, forDelete);
        }
        catch (CniException ex) when (ex.Code == CniErrorCode.InvalidNetworkConfig)
        {
            throw new CniException(CniErrorCode.Internal, errorPrefix + ex.Message);
        }
    }

    private static PortmapConfig ParseInner(JsonObject config, string ifName, bool forDelete)
    {
        if (ConfigReader.OptionalString(config, "backend") is { } backend && backend != "iptables")
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, backend == "nftables"
                ? "the nftables backend is not implemented by Strata's portmap; use \"backend\": \"iptables\""
                : $"unrecognized backend \"{backend}\"");
        }

        int? markBit = ConfigReader.OptionalInt(config, "markMasqBit");
        string? external = ConfigReader.OptionalString(config, "externalSetMarkChain");
        if (markBit is not null && external is not null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "Cannot specify externalSetMarkChain and markMasqBit");
        }

        if (markBit is < 0 or > 31)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "MasqMarkBit must be between 0 and 31");
        }

        var mappings = new List<PortMapping>();
        var runtimeConfig = ConfigReader.OptionalObject(config, "runtimeConfig");
        var entries = runtimeConfig is null ? null : ConfigReader.OptionalArray(runtimeConfig, "portMappings", "runtimeConfig");
        for (int i = 0; i < (entries?.Count ?? 0); i++)
        {
            string path = $"runtimeConfig.portMappings[{i}]";
            var entry = entries![i] as JsonObject ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{path}: must be an object");
            int containerPort = ConfigReader.OptionalInt(entry, "containerPort", path) ?? 0;
            int hostPort = ConfigReader.OptionalInt(entry, "hostPort", path) ?? 0;
            // Upstream checks only "<= 0"; above 65535 it fails later, in iptables, after creating
            // chains. Checking here too keeps bad input from leaving anything behind.
            if (containerPort <= 0 || (containerPort > 65535 && !forDelete))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"Invalid container port number: {containerPort}");
            }

            if (hostPort <= 0 || (hostPort > 65535 && !forDelete))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"Invalid host port number: {hostPort}");
            }

            // Upstream passes the protocol to iptables unchecked, so a typo fails half-way through
            // ADD and leaves the shared chains and an empty CNI-DN- chain; refuse it up front.
            string protocol = ConfigReader.OptionalString(entry, "protocol", path) ?? string.Empty;
            if (!forDelete && !Protocols.Contains(protocol, StringComparer.OrdinalIgnoreCase))
            {
                throw ConfigReader.Invalid(path, "protocol", $"unsupported protocol \"{protocol}\" (expected one of {string.Join(", ", Protocols)})");
            }

            string? hostIp = ConfigReader.OptionalString(entry, "hostIP", path);
            if (hostIp is { Length: > 0 } && !IPAddress.TryParse(hostIp, out _))
            {
                throw ConfigReader.Invalid(path, "hostIP", $"invalid IP address \"{hostIp}\"");
            }

            mappings.Add(new PortMapping(hostPort, containerPort, protocol, hostIp is { Length: > 0 } ? hostIp : null));
        }

        var conditionsV4 = Strings(config, "conditionsV4");
        var conditionsV6 = Strings(config, "conditionsV6");
        var nftablesOptions = new[] { ("conditionsV4", conditionsV4), ("conditionsV6", conditionsV6) }
            .Where(c => c.Item2.Count > 0 && c.Item2[0].Length > 0 && c.Item2[0][0] is not ('-' or '!'))
            .Select(c => c.Item1)
            .ToList();
        if (nftablesOptions.Count > 0)
        {
            // An iptables condition starts with "-" or "!"; anything else is nftables syntax (main.go, ensureBackend).
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"iptables backend was requested but configuration contains nftables-specific options [{string.Join(' ', nftablesOptions)}]");
        }

        var result = new PortmapConfig
        {
            Name = ConfigReader.RequiredString(config, "name"),
            Snat = ConfigReader.OptionalBool(config, "snat", true),
            MarkMasqBit = markBit ?? DefaultMarkBit,
            ExternalSetMarkChain = external,
            MasqAll = ConfigReader.OptionalBool(config, "masqAll", false),
            ConditionsV4 = conditionsV4,
            ConditionsV6 = conditionsV6,
            PortMappings = mappings,
            HasPrevResult = config["prevResult"] is JsonObject,
        };
        return config["prevResult"] is JsonObject prev ? WithContainerAddresses(result, prev, ifName) : result;
    }

    /// <summary>The first IPv4 and IPv6 address whose interface is CNI_IFNAME in a sandbox (or that names no interface).</summary>
    private static PortmapConfig WithContainerAddresses(PortmapConfig config, JsonObject prevResult, string ifName)
    {
        var interfaces = ConfigReader.OptionalArray(prevResult, "interfaces", "prevResult") ?? [];
        IpPrefix? v4 = null, v6 = null;
        foreach (var ip in (ConfigReader.OptionalArray(prevResult, "ips", "prevResult") ?? []).OfType<JsonObject>())
        {
            var address = ConfigReader.OptionalPrefix(ip, "address", "prevResult.ips") ?? throw ConfigReader.Invalid("prevResult.ips", "address", "is required");
            if ((address.IsIPv4 ? v4 : v6) is not null)
            {
                continue;
            }

            if (ConfigReader.OptionalInt(ip, "interface", "prevResult.ips") is { } index && index >= 0 && index < interfaces.Count)
            {
                var iface = interfaces[index] as JsonObject;
                if (iface?["name"]?.GetValue<string>() != ifName || string.IsNullOrEmpty(iface?["sandbox"]?.GetValue<string>()))
                {
                    continue;
                }
            }

            if (address.IsIPv4)
            {
                v4 = address;
            }
            else
            {
                v6 = address;
            }
        }

        return config with { ContainerIpv4 = v4, ContainerIpv6 = v6 };
    }

    private static List<string> Strings(JsonObject config, string field) =>
        (ConfigReader.OptionalArray(config, field) ?? []).Select(node => node?.GetValueKind() == JsonValueKind.String
            ? node.GetValue<string>()
            : throw ConfigReader.Invalid(string.Empty, field, "must be an array of strings")).ToList();
}

/// <summary>
/// portmap's iptables layout, pure (plugins/meta/portmap/portmap_iptables.go): the shared
/// CNI-HOSTPORT-DNAT / -SETMARK / -MASQ chains and the per-container CNI-DN-&lt;hash&gt; chain.
/// </summary>
public static class PortmapRules
{
    public const string TopLevelDnatChain = "CNI-HOSTPORT-DNAT";
    public const string SetMarkChain = "CNI-HOSTPORT-SETMARK";
    public const string MarkMasqChain = "CNI-HOSTPORT-MASQ";
    public const string OldTopLevelSnatChain = "CNI-HOSTPORT-SNAT";

    public static IptablesChain TopLevelDnat() => new("nat", TopLevelDnatChain)
    {
        EntryChains = ["PREROUTING", "OUTPUT"],
        EntryRules = [["-m", "addrtype", "--dst-type", "LOCAL"]],
    };

    public static IptablesChain SetMark(int markBit) => new("nat", SetMarkChain)
    {
        Rules = [["-m", "comment", "--comment", "CNI portfwd masquerade mark", "-j", "MARK", "--set-xmark", Mark(markBit)]],
    };

    public static IptablesChain MarkMasq(int markBit) => new("nat", MarkMasqChain)
    {
        EntryChains = ["POSTROUTING"],
        PrependEntry = true, // ahead of the bridge and ptp plugins' masquerade rules
        EntryRules = [["-m", "comment", "--comment", "CNI portfwd requiring masquerade"]],
        Rules = [["-m", "mark", "--mark", Mark(markBit), "-j", "MASQUERADE"]],
    };

    public static IptablesChain Dnat(string network, string containerId) => new("nat", ChainName.Format(network, containerId, "DN-"))
    {
        EntryChains = [TopLevelDnatChain],
    };

    /// <summary>The chain that older plugin versions made; removed on DEL in case it is still there.</summary>
    public static IptablesChain OldSnat(string network, string containerId) => new("nat", ChainName.Format(network, containerId, "SN-"))
    {
        EntryChains = [OldTopLevelSnatChain],
    };

    /// <summary>The per-container DNAT chain with its entry rules (multiport, at most 15 ports each) and three rules per mapping.</summary>
    public static IptablesChain FillDnat(PortmapConfig config, string containerId, IpPrefix container)
    {
        bool v6 = !container.IsIPv4;
        string comment = TrimComment($"dnat name: \"{config.Name}\" id: \"{containerId}\"");
        string setMark = config.ExternalSetMarkChain ?? SetMarkChain;
        var conditions = v6 ? config.ConditionsV6 : config.ConditionsV4;

        var entryRules = new List<IReadOnlyList<string>>();
        foreach (var group in config.PortMappings.GroupBy(m => m.Protocol).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var ports in group.Select(m => m.HostPort.ToString(CultureInfo.InvariantCulture)).Chunk(15))
            {
                entryRules.Add([
                    "-m", "comment", "--comment", comment, "-m", "multiport", "-p", group.Key, "--destination-ports", string.Join(',', ports),
                    .. conditions,
                ]);
            }
        }

        var rules = new List<IReadOnlyList<string>>();
        foreach (var mapping in config.PortMappings)
        {
            var baseRule = new List<string> { "-p", mapping.Protocol, "--dport", mapping.HostPort.ToString(CultureInfo.InvariantCulture) };
            if (mapping.HostIp is { } hostIp)
            {
                var address = IPAddress.Parse(hostIp);
                if ((address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != v6)
                {
                    continue; // a host IP of the other family does not apply to this container address
                }

                if (!address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
                {
                    baseRule.AddRange(["-d", hostIp]);
                }
            }

            if (config.Snat)
            {
                string source = config.MasqAll ? (v6 ? "::/0" : "0.0.0.0/0") : container.Network.ToString();
                rules.Add([.. baseRule, "-s", source, "-j", setMark]);
                if (!v6 && !config.MasqAll)
                {
                    rules.Add([.. baseRule, "-s", "127.0.0.1", "-j", setMark]);
                }
            }

            string destination = v6 ? $"[{container.Address}]:{mapping.ContainerPort}" : $"{container.Address}:{mapping.ContainerPort}";
            rules.Add([.. baseRule, "-j", "DNAT", "--to-destination", destination]);
        }

        return Dnat(config.Name, containerId) with { EntryRules = entryRules, Rules = rules };
    }

    /// <summary>"0x2000/0x2000" for bit 13, as Go's %#x prints it.</summary>
    private static string Mark(int bit) => $"0x{1u << bit:x}/0x{1u << bit:x}";

    private static string TrimComment(string value) => value.Length <= 255 ? value : value[..253] + "...";
}

/// <summary>Chain names derived from the network and container ID (containernetworking/plugins pkg/utils/utils.go).</summary>
public static class ChainName
{
    private const int MaxLength = 28;

    /// <summary>"CNI-" + prefix + the SHA-512 of name+id in hex, cut to 28 characters.</summary>
    public static string Format(string name, string id, string prefix = "")
    {
        byte[] hash = System.Security.Cryptography.SHA512.HashData(System.Text.Encoding.UTF8.GetBytes(name + id));
        return ("CNI-" + prefix + Convert.ToHexStringLower(hash))[..MaxLength];
    }

    /// <summary>The comment upstream puts on a plugin's rules: <c>name: "NET" id: "ID"</c>.</summary>
    public static string Comment(string name, string id) => $"name: \"{name}\" id: \"{id}\"";
}
