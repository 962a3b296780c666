using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Strata.Netlink;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Strata.Lab;

/// <summary>What the command line says about the lab; null means "not given".</summary>
public sealed record LabFlags
{
    public string? Name { get; init; }

    public int? Nodes { get; init; }

    public string? Backend { get; init; }

    public string? ProxyMode { get; init; }

    public int? ApiPort { get; init; }

    public string? StateDirectory { get; init; }

    public int? Segments { get; init; }
}

/// <summary>
/// Builds a <see cref="LabSpec"/> from an optional <c>lab.yaml</c> and the flags (flags win), and
/// validates it. Pure: every error names the field, as <c>lab.yaml: nodes[1].address: … is outside the underlay …</c>.
/// </summary>
public static partial class LabSpecBuilder
{
    public const int MaxNodes = 250;

    /// <summary>The seed's node addresses, as offsets in the underlay (172.19.0.8, .13, .15); further nodes take free offsets from 16 up.</summary>
    private static readonly uint[] SeedOffsets = [8, 13, 15];

    private const uint ApiOffset = 2;

    private static readonly string[] TopLevelKeys = ["name", "nodes", "underlay", "apiAddress", "apiPort", "backend", "proxyMode", "clusterCidr", "serviceCidr", "stateDir", "segments"];

    public const int MaxSegments = 16;

    public static LabSpec Build(LabFlags flags, string? configPath = null, string? configText = null)
    {
        var raw = new RawLab();
        if (configPath is not null)
        {
            configText ??= ReadConfig(configPath);
            ParseYaml(configPath, configText, raw);
        }

        string where = configPath ?? "lab";
        return Resolve(where, raw, flags);
    }

    private static string ReadConfig(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"{path}: cannot read the lab configuration: {e.Message}", e);
        }
    }

    private sealed class RawNode
    {
        public string? Name;
        public string? Address;
        public string Path = "";
    }

    private sealed class RawLab
    {
        public string? Name;
        public int? NodeCount;
        public List<RawNode>? Nodes;
        public string? Underlay;
        public string? ApiAddress;
        public int? ApiPort;
        public string? Backend;
        public string? ProxyMode;
        public string? ClusterCidr;
        public string? ServiceCidr;
        public string? StateDirectory;
        public int? Segments;
    }

    private static void ParseYaml(string file, string text, RawLab raw)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new LabException($"{file}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new LabException($"{file}: the document must be a mapping (name:, nodes:, underlay:, …)");
        }

        foreach (var (keyNode, value) in root.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            string At(string field) => $"{file}: {field}";
            switch (key)
            {
                case "name": raw.Name = Scalar(value, At(key)); break;
                case "underlay": raw.Underlay = Scalar(value, At(key)); break;
                case "apiAddress": raw.ApiAddress = Scalar(value, At(key)); break;
                case "apiPort": raw.ApiPort = Integer(value, At(key)); break;
                case "backend": raw.Backend = Scalar(value, At(key)); break;
                case "proxyMode": raw.ProxyMode = Scalar(value, At(key)); break;
                case "clusterCidr": raw.ClusterCidr = Scalar(value, At(key)); break;
                case "serviceCidr": raw.ServiceCidr = Scalar(value, At(key)); break;
                case "stateDir": raw.StateDirectory = Scalar(value, At(key)); break;
                case "segments": raw.Segments = Integer(value, At(key)); break;
                case "nodes":
                    if (value is YamlScalarNode)
                    {
                        raw.NodeCount = Integer(value, At(key));
                    }
                    else if (value is YamlSequenceNode sequence)
                    {
                        raw.Nodes = [.. sequence.Children.Select((node, i) => ParseNode(file, node, i))];
                    }
                    else
                    {
                        throw new LabException($"{At(key)}: must be a number of nodes or a list of {{name, address}}");
                    }

                    break;
                default:
                    throw new LabException($"{file}: unknown field \"{key}\" at line {keyNode.Start.Line} (known: {string.Join(", ", TopLevelKeys)})");
            }
        }
    }

    private static RawNode ParseNode(string file, YamlNode node, int index)
    {
        string path = $"nodes[{index}]";
        if (node is not YamlMappingNode mapping)
        {
            throw new LabException($"{file}: {path}: must be a mapping with name and address");
        }

        var result = new RawNode { Path = $"{file}: {path}" };
        foreach (var (keyNode, value) in mapping.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            switch (key)
            {
                case "name": result.Name = Scalar(value, $"{file}: {path}.name"); break;
                case "address": result.Address = Scalar(value, $"{file}: {path}.address"); break;
                default: throw new LabException($"{file}: {path}: unknown field \"{key}\" at line {keyNode.Start.Line} (known: name, address)");
            }
        }

        return result;
    }

    private static string Scalar(YamlNode node, string where) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new LabException($"{where}: must be a single value");

    private static int Integer(YamlNode node, string where)
    {
        string text = Scalar(node, where);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new LabException($"{where}: \"{text}\" is not a number");
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    private static LabSpec Resolve(string file, RawLab raw, LabFlags flags)
    {
        string name = flags.Name ?? raw.Name ?? LabSpec.DefaultName;
        string nameWhere = flags.Name is not null ? "--name" : $"{file}: name";
        if (name.Length > 32 || !DnsLabel().IsMatch(name))
        {
            throw new LabException($"{nameWhere}: \"{name}\" must be 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit");
        }

        var underlay = Prefix(raw.Underlay, "172.19.0.0/20", $"{file}: underlay");
        if (underlay.PrefixLength is < 8 or > 28)
        {
            throw new LabException($"{file}: underlay: {underlay} must be an IPv4 prefix from /8 to /28");
        }

        underlay = underlay.Network;
        int segments = flags.Segments ?? raw.Segments ?? 1;
        string segmentsWhere = flags.Segments is not null ? "--segments" : $"{file}: segments";
        if (segments is < 1 or > MaxSegments)
        {
            throw new LabException($"{segmentsWhere}: {segments} segments: a lab has 1 to {MaxSegments}");
        }

        // Segment k is the k-th /24 of the underlay.
        if (segments > 1 && (1L << (LabSpec.SegmentPrefixLength - underlay.PrefixLength)) < segments)
        {
            throw new LabException($"{segmentsWhere}: {segments} segments of a /{LabSpec.SegmentPrefixLength} do not fit in the underlay {underlay}");
        }

        var apiAddress = raw.ApiAddress is null
            ? AddressMath.Offset(underlay.Address, ApiOffset)
            : Address(raw.ApiAddress, $"{file}: apiAddress");
        CheckInside(underlay, apiAddress, $"{file}: apiAddress");
        if (segments > 1)
        {
            CheckSegmentAddress(underlay, apiAddress, $"{file}: apiAddress", allowed: 0);
        }

        int apiPort = flags.ApiPort ?? raw.ApiPort ?? LabSpec.DefaultApiPort;
        if (apiPort is < 1 or > 65535)
        {
            throw new LabException($"{(flags.ApiPort is not null ? "--api-port" : $"{file}: apiPort")}: {apiPort} is not a port (1-65535)");
        }

        string backend = flags.Backend ?? raw.Backend ?? "vxlan";
        if (!LabSpec.Backends.Contains(backend))
        {
            throw new LabException($"{(flags.Backend is not null ? "--backend" : $"{file}: backend")}: \"{backend}\" is not a backend (known: {string.Join(", ", LabSpec.Backends)})");
        }

        string proxyMode = flags.ProxyMode ?? raw.ProxyMode ?? "iptables";
        if (!LabSpec.ProxyModes.Contains(proxyMode))
        {
            throw new LabException($"{(flags.ProxyMode is not null ? "--proxy-mode" : $"{file}: proxyMode")}: \"{proxyMode}\" is not a proxy mode (known: {string.Join(", ", LabSpec.ProxyModes)})");
        }

        var clusterCidr = Prefix(raw.ClusterCidr, "10.233.64.0/18", $"{file}: clusterCidr").Network;
        var serviceCidr = Prefix(raw.ServiceCidr, "10.233.0.0/18", $"{file}: serviceCidr").Network;
        if (AddressMath.Overlaps(clusterCidr, serviceCidr))
        {
            throw new LabException($"{file}: clusterCidr {clusterCidr} overlaps serviceCidr {serviceCidr}");
        }

        foreach (var (range, field) in new[] { (clusterCidr, "clusterCidr"), (serviceCidr, "serviceCidr") })
        {
            if (AddressMath.Overlaps(range, underlay))
            {
                throw new LabException($"{file}: {field} {range} overlaps the underlay {underlay}");
            }
        }

        var nodes = ResolveNodes(file, raw, flags, underlay, apiAddress, segments);
        if (new LabSpec { Nodes = nodes, Underlay = underlay, Segments = segments, StateDirectory = "" }.LoadBalancerPool is var (first, last))
        {
            foreach (var (what, address) in nodes.Select(n => ($"node {n.Name}", n.Address)).Append(("apiAddress", apiAddress)))
            {
                if (AddressMath.ToUInt32(address) >= AddressMath.ToUInt32(first) && AddressMath.ToUInt32(address) <= AddressMath.ToUInt32(last))
                {
                    throw new LabException($"{file}: {what}'s address {address} is in the LoadBalancer pool {first}-{last}: choose an address below it");
                }
            }
        }
        string stateDir = flags.StateDirectory ?? raw.StateDirectory ?? LabSpec.DefaultStateDirectory(name);
        if (!Path.IsPathFullyQualified(stateDir))
        {
            stateDir = Path.GetFullPath(stateDir);
        }

        return new LabSpec
        {
            Name = name,
            Nodes = nodes,
            Underlay = underlay,
            ApiAddress = apiAddress,
            ApiPort = apiPort,
            Backend = backend,
            ProxyMode = proxyMode,
            ClusterCidr = clusterCidr,
            ServiceCidr = serviceCidr,
            StateDirectory = Path.TrimEndingDirectorySeparator(stateDir),
            Segments = segments,
        };
    }

    private static List<LabNode> ResolveNodes(string file, RawLab raw, LabFlags flags, IpPrefix underlay, IPAddress apiAddress, int segments)
    {
        var given = raw.Nodes ?? [];
        int count = flags.Nodes ?? raw.Nodes?.Count ?? raw.NodeCount ?? SeedOffsets.Length;
        string countWhere = flags.Nodes is not null ? "--nodes" : $"{file}: nodes";
        if (count is < 1 or > MaxNodes)
        {
            throw new LabException($"{countWhere}: {count} nodes: a lab has 1 to {MaxNodes} nodes");
        }

        // Explicit addresses first, so defaults skip them.
        var taken = new HashSet<uint> { AddressMath.HostOffset(underlay, apiAddress)!.Value };
        var explicitAddresses = new IPAddress?[count];
        for (int i = 0; i < Math.Min(count, given.Count); i++)
        {
            if (given[i].Address is not { } text)
            {
                continue;
            }

            var address = Address(text, $"{given[i].Path}.address");
            CheckInside(underlay, address, $"{given[i].Path}.address");
            if (address.Equals(apiAddress))
            {
                throw new LabException($"{given[i].Path}.address: {address} is the API server's address");
            }

            if (segments > 1)
            {
                CheckSegmentAddress(underlay, address, $"{given[i].Path}.address", allowed: segments - 1);
            }

            if (!taken.Add(AddressMath.HostOffset(underlay, address)!.Value))
            {
                throw new LabException($"{given[i].Path}.address: {address} is already used by another node");
            }

            explicitAddresses[i] = address;
        }

        // With segments, default addresses keep the seed's last octets on each segment's /24 (node3 is 172.19.1.15),
        // so offsets are taken within a /24 and the router's .1 is never given.
        var allocation = segments > 1 ? new IpPrefix(underlay.Address, LabSpec.SegmentPrefixLength) : underlay;
        if (segments > 1)
        {
            taken = [.. taken.Select(o => o & 0xFF), 1];
        }

        var free = FreeOffsets(allocation, taken).GetEnumerator();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var nodes = new List<LabNode>(count);
        for (int i = 0; i < count; i++)
        {
            string nodeName = (i < given.Count ? given[i].Name : null) ?? $"node{i + 1}";
            string nameWhere = i < given.Count ? $"{given[i].Path}.name" : countWhere;
            if (nodeName.Length > 63 || !DnsLabel().IsMatch(nodeName))
            {
                throw new LabException($"{nameWhere}: \"{nodeName}\" must be a DNS label (lowercase letters, digits, '-'; at most 63)");
            }

            if (nodeName is LabNames.UnderlayRole or LabNames.ApiServerRole or LabNames.RouterRole)
            {
                throw new LabException($"{nameWhere}: \"{nodeName}\" is reserved for the lab's {nodeName}");
            }

            if (!names.Add(nodeName))
            {
                throw new LabException($"{nameWhere}: node name \"{nodeName}\" is used twice");
            }

            IPAddress nodeAddress;
            int segment = segments > 1 ? i * segments / count : 0;
            if (explicitAddresses[i] is { } fixedAddress)
            {
                nodeAddress = fixedAddress;
                segment = (int)(AddressMath.HostOffset(underlay, fixedAddress)!.Value >> (32 - LabSpec.SegmentPrefixLength));
                segment = segments > 1 ? segment : 0;
            }
            else if (free.MoveNext())
            {
                nodeAddress = AddressMath.Offset(underlay.Address, ((uint)segment << (32 - LabSpec.SegmentPrefixLength)) + free.Current);
            }
            else
            {
                throw new LabException($"{countWhere}: the underlay {underlay} has no free address left for node {nodeName}");
            }

            nodes.Add(new LabNode(nodeName, nodeAddress, segment));
        }

        return nodes;
    }

    /// <summary>The seed's offsets (8, 13, 15), then 16 upward, then what is left below 16 (small underlays); never the network, broadcast or a taken offset.</summary>
    private static IEnumerable<uint> FreeOffsets(IpPrefix underlay, HashSet<uint> taken)
    {
        uint size = AddressMath.Size(underlay);
        var above = Enumerable.Range(16, (int)Math.Max(0, (long)size - 17)).Select(i => (uint)i);
        var below = Enumerable.Range(3, 13).Select(i => (uint)i);
        foreach (uint offset in SeedOffsets.Concat(above).Concat(below))
        {
            if (offset >= 1 && offset < size - 1 && taken.Add(offset))
            {
                yield return offset;
            }
        }
    }

    private static IpPrefix Prefix(string? text, string fallback, string where)
    {
        text ??= fallback;
        if (!IpPrefix.TryParse(text, out var prefix, out var error) || !text.Contains('/'))
        {
            throw new LabException($"{where}: {error ?? $"\"{text}\" needs a prefix length (ADDRESS/LENGTH)"}");
        }

        if (!prefix.IsIPv4)
        {
            throw new LabException($"{where}: {text} is not an IPv4 prefix (the lab is IPv4)");
        }

        return prefix;
    }

    private static IPAddress Address(string text, string where)
    {
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork || text.Count(c => c == '.') != 3)
        {
            throw new LabException($"{where}: \"{text}\" is not an IPv4 address");
        }

        return address;
    }

    /// <summary>With segments: the address is on segment 0..<paramref name="allowed"/>, and not its network, broadcast or router address.</summary>
    private static void CheckSegmentAddress(IpPrefix underlay, IPAddress address, string where, int allowed)
    {
        uint offset = AddressMath.HostOffset(underlay, address)!.Value;
        uint segment = offset >> (32 - LabSpec.SegmentPrefixLength);
        uint host = offset & 0xFF;
        if (segment > allowed)
        {
            throw new LabException(allowed == 0
                ? $"{where}: {address} is not on the first segment {new IpPrefix(underlay.Address, LabSpec.SegmentPrefixLength)}"
                : $"{where}: {address} is on no segment (the lab has {allowed + 1} /{LabSpec.SegmentPrefixLength}s from {underlay.Address})");
        }

        if (host is 0 or 255 or 1)
        {
            throw new LabException($"{where}: {address} is its segment's {(host == 1 ? "router" : host == 0 ? "network" : "broadcast")} address");
        }
    }

    private static void CheckInside(IpPrefix underlay, IPAddress address, string where)
    {
        uint? offset = AddressMath.HostOffset(underlay, address);
        if (offset is null)
        {
            throw new LabException($"{where}: {address} is outside the underlay {underlay}");
        }

        if (offset == 0 || offset == AddressMath.Size(underlay) - 1)
        {
            throw new LabException($"{where}: {address} is the underlay's {(offset == 0 ? "network" : "broadcast")} address");
        }
    }
}
