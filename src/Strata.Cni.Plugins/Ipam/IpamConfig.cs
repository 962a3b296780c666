using System.Net;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// host-local's configuration (plugins/ipam/host-local/backend/allocator/config.go,
/// LoadIPAMConfig): range sets from <c>runtimeConfig.ipRanges</c>, the legacy single range and
/// <c>ipam.ranges</c>, in that order; requested IPs from CNI_ARGS <c>IP=</c>, <c>args.cni.ips</c>
/// and <c>runtimeConfig.ips</c>.
/// </summary>
/// <remarks>
/// Upstream returns every configuration failure as a plain Go error, which its skeleton reports
/// with code 999, so these do too (the runtime sees the same code from either plugin). Where
/// upstream's text is a JSON decoding error, ours names the field instead.
/// </remarks>
internal sealed record IpamConfig
{
    public const string DefaultDataDir = "/var/lib/cni/networks";

    public required string Name { get; init; }

    public required IReadOnlyList<RangeSet> RangeSets { get; init; }

    /// <summary>The routes as upstream prints them back (types.Route: dst, gw, mtu, advmss, priority, table, scope).</summary>
    public JsonArray Routes { get; init; } = [];

    public string DataDir { get; init; } = DefaultDataDir;

    public string? ResolvConf { get; init; }

    /// <summary>Requested addresses, canonical and without repeats.</summary>
    public IReadOnlyList<IPAddress> RequestedIps { get; init; } = [];

    public static IpamConfig Load(CmdArgs args)
    {
        try
        {
            return Parse(args);
        }
        catch (CniException ex) when (ex.Code == CniErrorCode.InvalidNetworkConfig)
        {
            throw new CniException(CniErrorCode.Internal, ex.Message, ex.Details);
        }
    }

    private static IpamConfig Parse(CmdArgs args)
    {
        var config = args.Config!;

        // The JSON is decoded in full before anything is checked, as json.Unmarshal does.
        var runtimeConfig = ConfigReader.OptionalObject(config, "runtimeConfig");
        var runtimeRanges = runtimeConfig is null ? null : ReadRangeSets(runtimeConfig, "ipRanges", "runtimeConfig");
        var runtimeIps = runtimeConfig is null ? [] : ReadIps(runtimeConfig, "ips", "runtimeConfig");
        var cniArgs = ConfigReader.OptionalObject(config, "args") is { } extra ? ConfigReader.OptionalObject(extra, "cni", "args") : null;
        var argsIps = cniArgs is null ? [] : ReadIps(cniArgs, "ips", "args.cni");
        var ipam = ConfigReader.OptionalObject(config, "ipam");
        if (ipam is null)
        {
            throw new CniException(CniErrorCode.Internal, "IPAM config missing 'ipam' key");
        }

        RawRange? legacy = ipam["subnet"] is null ? null : ReadRange(ipam, "ipam");
        var ranges = ReadRangeSets(ipam, "ranges", "ipam");
        var routes = ReadRoutes(ipam);
        string dataDir = ConfigReader.OptionalString(ipam, "dataDir", "ipam") is { Length: > 0 } dir ? dir : DefaultDataDir;
        string? resolvConf = ConfigReader.OptionalString(ipam, "resolvConf", "ipam") is { Length: > 0 } resolv ? resolv : null;

        var requested = new List<IPAddress>();
        if (EnvironmentIp(args.Args) is { } fromEnvironment)
        {
            requested.Add(fromEnvironment);
        }

        requested.AddRange(argsIps);
        requested.AddRange(runtimeIps);

        var sets = new List<IReadOnlyList<RawRange>>();
        sets.AddRange(runtimeRanges ?? []);
        if (legacy is not null)
        {
            sets.Add([legacy]);
        }

        sets.AddRange(ranges ?? []);
        if (sets.Count == 0)
        {
            throw new CniException(CniErrorCode.Internal, "no IP ranges specified");
        }

        var rangeSets = new List<RangeSet>();
        for (int i = 0; i < sets.Count; i++)
        {
            try
            {
                rangeSets.Add(Canonicalize(sets[i]));
            }
            catch (FormatException ex)
            {
                throw new CniException(CniErrorCode.Internal, $"invalid range set {i}: {ex.Message}");
            }
        }

        for (int i = 0; i < rangeSets.Count; i++)
        {
            for (int j = i + 1; j < rangeSets.Count; j++)
            {
                if (rangeSets[i].Overlaps(rangeSets[j]))
                {
                    throw new CniException(CniErrorCode.Internal, $"range set {i} overlaps with {j}");
                }
            }
        }

        return new IpamConfig
        {
            Name = args.NetworkName,
            RangeSets = rangeSets,
            Routes = routes,
            DataDir = dataDir,
            ResolvConf = resolvConf,
            RequestedIps = requested.Select(IpMath.Canonical).Distinct().ToList(),
        };
    }

    /// <summary>RangeSet.Canonicalize: each range checked in turn, one family, no overlaps.</summary>
    private static RangeSet Canonicalize(IReadOnlyList<RawRange> raw)
    {
        if (raw.Count == 0)
        {
            throw new FormatException("empty range set");
        }

        var ranges = new List<IpRange>();
        foreach (var range in raw)
        {
            ranges.Add(IpRange.Canonicalize(range.Subnet, range.RangeStart, range.RangeEnd, range.Gateway));
            if (ranges[^1].Family != ranges[0].Family)
            {
                throw new FormatException("mixed address families");
            }
        }

        for (int i = 0; i < ranges.Count; i++)
        {
            for (int j = i + 1; j < ranges.Count; j++)
            {
                if (ranges[i].Overlaps(ranges[j]))
                {
                    throw new FormatException($"subnets {ranges[i]} and {ranges[j]} overlap");
                }
            }
        }

        return new RangeSet(ranges);
    }

    /// <summary>
    /// CNI_ARGS through types.LoadArgs into {IgnoreUnknown, IP}: field names match exactly,
    /// the last pair for a field wins, and unknown keys fail unless IgnoreUnknown is true.
    /// </summary>
    private static IPAddress? EnvironmentIp(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        IPAddress? ip = null;
        bool ignoreUnknown = false;
        var unknown = new List<string>();
        foreach (var (key, value) in pairs)
        {
            string pair = $"{key}={value}";
            if (value.Contains('='))
            {
                throw new CniException(CniErrorCode.Internal, $"ARGS: invalid pair {Quote(pair)}");
            }

            switch (key)
            {
                case "IP":
                    ip = value.Length == 0 ? null
                        : ParseIpArg(value) ?? throw new CniException(CniErrorCode.Internal, $"ARGS: error parsing value of pair {Quote(pair)}: invalid IP address {value}");
                    break;
                case "IgnoreUnknown":
                    ignoreUnknown = value.ToLowerInvariant() switch
                    {
                        "1" or "true" => true,
                        "0" or "false" => false,
                        var other => throw new CniException(CniErrorCode.Internal, $"ARGS: error parsing value of pair {Quote(pair)}: boolean unmarshal error: invalid input {other}"),
                    };
                    break;
                default:
                    unknown.Add(pair);
                    break;
            }
        }

        if (unknown.Count > 0 && !ignoreUnknown)
        {
            throw new CniException(CniErrorCode.Internal, $"ARGS: unknown args [{string.Join(' ', unknown.Select(Quote))}]");
        }

        return ip;
    }

    /// <summary>ip.ParseIP: an address, or an address with a prefix length that is then ignored.</summary>
    private static IPAddress? ParseIpArg(string text) =>
        text.Contains('/')
            ? GoIp.TryParseCidr(text, out var withPrefix, out _) ? withPrefix : null
            : GoIp.TryParseAddress(text, out var address) ? address : null;

    private static List<IPAddress> ReadIps(JsonObject node, string field, string path)
    {
        var list = new List<IPAddress>();
        var values = ConfigReader.OptionalArray(node, field, path) ?? [];
        for (int i = 0; i < values.Count; i++)
        {
            string itemPath = $"{ConfigReader.Join(path, field)}[{i}]";
            if (values[i] is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                throw new CniException(CniErrorCode.Internal, $"{itemPath}: must be a string");
            }

            string text = value.GetValue<string>();
            if (text.Length == 0)
            {
                throw new CniException(CniErrorCode.Internal, $"{itemPath}: cannot understand ip: IP <nil> not v4 nor v6");
            }

            list.Add(ParseIpArg(text) ?? throw new CniException(CniErrorCode.Internal, $"{itemPath}: invalid IP address {text}"));
        }

        return list;
    }

    private static List<IReadOnlyList<RawRange>>? ReadRangeSets(JsonObject node, string field, string path)
    {
        if (ConfigReader.OptionalArray(node, field, path) is not { } sets)
        {
            return null;
        }

        var result = new List<IReadOnlyList<RawRange>>();
        for (int i = 0; i < sets.Count; i++)
        {
            string setPath = $"{ConfigReader.Join(path, field)}[{i}]";
            if (sets[i] is null)
            {
                result.Add([]); // a null set is an empty one, as in Go
                continue;
            }

            var set = sets[i] as JsonArray ?? throw new CniException(CniErrorCode.Internal, $"{setPath}: must be an array of ranges");
            result.Add(set.Select((range, j) => ReadRange(
                range as JsonObject ?? throw new CniException(CniErrorCode.Internal, $"{setPath}[{j}]: must be an object"), $"{setPath}[{j}]")).ToList());
        }

        return result;
    }

    private static RawRange ReadRange(JsonObject range, string path) =>
        new(Cidr(range, "subnet", path) ?? throw ConfigReader.Invalid(path, "subnet", "is required"),
            Address(range, "rangeStart", path),
            Address(range, "rangeEnd", path),
            Address(range, "gateway", path));

    /// <summary>types.Route as upstream decodes and re-encodes it: normalised text, unknown keys dropped.</summary>
    private static JsonArray ReadRoutes(JsonObject ipam)
    {
        var routes = new JsonArray();
        var source = ConfigReader.OptionalArray(ipam, "routes", "ipam") ?? [];
        for (int i = 0; i < source.Count; i++)
        {
            string path = $"ipam.routes[{i}]";
            var route = source[i] as JsonObject ?? throw new CniException(CniErrorCode.Internal, $"{path}: must be an object");
            var dst = Cidr(route, "dst", path) ?? throw ConfigReader.Invalid(path, "dst", "is required");
            var output = new JsonObject { ["dst"] = CidrText(dst) };
            if (Address(route, "gw", path) is { } gw)
            {
                output["gw"] = GoIp.Format(gw);
            }

            foreach (string field in (string[])["mtu", "advmss", "priority"])
            {
                if (ConfigReader.OptionalInt(route, field, path) is { } number and not 0)
                {
                    output[field] = number;
                }
            }

            foreach (string field in (string[])["table", "scope"])
            {
                if (ConfigReader.OptionalInt(route, field, path) is { } number)
                {
                    output[field] = number;
                }
            }

            routes.Add((JsonNode)output);
        }

        return routes;
    }

    /// <summary>net.IPNet.String for a parsed CIDR: an IPv4-mapped address prints as IPv4 with the mask's last 32 bits.</summary>
    private static string CidrText(IpPrefix prefix) =>
        prefix.Address.IsIPv4MappedToIPv6
            ? $"{GoIp.Format(prefix.Address)}/{Math.Max(0, prefix.PrefixLength - 96)}"
            : $"{GoIp.Format(prefix.Address)}/{prefix.PrefixLength}";

    private static IpPrefix? Cidr(JsonObject node, string field, string path) =>
        ConfigReader.OptionalString(node, field, path) is not { } text ? null
            : GoIp.TryParseCidr(text, out var address, out int length) ? new IpPrefix(address, length)
            : throw ConfigReader.Invalid(path, field, $"invalid CIDR address: {text}");

    /// <summary>net.IP's UnmarshalText: an empty string is no address.</summary>
    private static IPAddress? Address(JsonObject node, string field, string path) =>
        ConfigReader.OptionalString(node, field, path) is not { Length: > 0 } text ? null
            : GoIp.TryParseAddress(text, out var address) ? address
            : throw ConfigReader.Invalid(path, field, $"invalid IP address: {text}");

    /// <summary>Go's %q for the plain text CNI_ARGS carry.</summary>
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private sealed record RawRange(IpPrefix Subnet, IPAddress? RangeStart, IPAddress? RangeEnd, IPAddress? Gateway);
}
