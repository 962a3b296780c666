using System.Net;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// host-local's configuration (plugins/ipam/host-local/backend/allocator/config.go,
/// LoadIPAMConfig): range sets from <c>ipam.ranges</c>, the legacy single range, and
/// <c>runtimeConfig.ipRanges</c>; requested IPs from CNI_ARGS, <c>args.cni.ips</c> and
/// <c>runtimeConfig.ips</c>.
/// </summary>
internal sealed record IpamConfig
{
    public const string DefaultDataDir = "/var/lib/cni/networks";

    public required string Name { get; init; }

    public required IReadOnlyList<RangeSet> RangeSets { get; init; }

    public JsonArray Routes { get; init; } = [];

    public string DataDir { get; init; } = DefaultDataDir;

    public string? ResolvConf { get; init; }

    public IReadOnlyList<IPAddress> RequestedIps { get; init; } = [];

    /// <summary>Upstream returns these failures as plain errors, which its skeleton reports with code 999.</summary>
    public static IpamConfig Load(CmdArgs args)
    {
        var config = args.Config!;
        var ipam = ConfigReader.OptionalObject(config, "ipam") ?? throw new CniException(CniErrorCode.Internal, "IPAM config missing 'ipam' key");
        var requested = new List<IPAddress>();
        // types.LoadArgs: unknown keys are an error unless IgnoreUnknown is set.
        bool ignoreUnknown = args.Args.Any(a => a.Key == "IgnoreUnknown" && a.Value is "1" or "true" or "True");
        var unknown = new List<string>();
        foreach (var (key, value) in args.Args)
        {
            if (key == "IP")
            {
                requested.Add(IPAddress.TryParse(value, out var ip) ? ip : throw new CniException(CniErrorCode.Internal, $"ARGS: error parsing value of pair \"IP={value}\": invalid IP address"));
            }
            else if (key != "IgnoreUnknown")
            {
                unknown.Add($"\"{key}={value}\"");
            }
        }

        if (unknown.Count > 0 && !ignoreUnknown)
        {
            throw new CniException(CniErrorCode.Internal, $"ARGS: unknown args [{string.Join(' ', unknown)}]");
        }

        var runtimeConfig = ConfigReader.OptionalObject(config, "runtimeConfig");
        requested.AddRange(Addresses(ConfigReader.OptionalObject(config, "args") is { } extra && ConfigReader.OptionalObject(extra, "cni", "args") is { } cni
            ? ConfigReader.OptionalArray(cni, "ips", "args.cni") : null, "args.cni.ips"));
        requested.AddRange(Addresses(runtimeConfig is null ? null : ConfigReader.OptionalArray(runtimeConfig, "ips", "runtimeConfig"), "runtimeConfig.ips"));

        var sets = new List<(JsonArray Source, string Path)>();
        if (runtimeConfig is not null && ConfigReader.OptionalArray(runtimeConfig, "ipRanges", "runtimeConfig") is { } runtimeRanges)
        {
            sets.AddRange(runtimeRanges.Select((set, i) => (set as JsonArray ?? throw Invalid($"runtimeConfig.ipRanges[{i}]", "must be an array"), $"runtimeConfig.ipRanges[{i}]")));
        }

        if (ipam["subnet"] is not null)
        {
            sets.Add(([(JsonNode)ipam.DeepClone()], "ipam"));
        }

        if (ConfigReader.OptionalArray(ipam, "ranges", "ipam") is { } ranges)
        {
            sets.AddRange(ranges.Select((set, i) => (set as JsonArray ?? throw Invalid($"ipam.ranges[{i}]", "must be an array"), $"ipam.ranges[{i}]")));
        }

        if (sets.Count == 0)
        {
            throw new CniException(CniErrorCode.Internal, "no IP ranges specified");
        }

        var rangeSets = sets.Select((set, i) => ParseSet(set.Source, set.Path, i)).ToList();
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
            Routes = ConfigReader.OptionalArray(ipam, "routes", "ipam") is { } routes ? (JsonArray)routes.DeepClone() : [],
            DataDir = ConfigReader.OptionalString(ipam, "dataDir", "ipam") is { Length: > 0 } dir ? dir : DefaultDataDir,
            ResolvConf = ConfigReader.OptionalString(ipam, "resolvConf", "ipam") is { Length: > 0 } resolv ? resolv : null,
            RequestedIps = requested.Select(IpMath.Canonical).ToList(),
        };
    }

    private static RangeSet ParseSet(JsonArray source, string path, int index)
    {
        try
        {
            if (source.Count == 0)
            {
                throw new FormatException("empty range set");
            }

            var ranges = new List<IpRange>();
            for (int i = 0; i < source.Count; i++)
            {
                string rangePath = path == "ipam" ? "ipam" : $"{path}[{i}]";
                var range = source[i] as JsonObject ?? throw new FormatException($"{rangePath} must be an object");
                var subnet = ConfigReader.OptionalPrefix(range, "subnet", rangePath) ?? throw new FormatException($"{rangePath}.subnet is required");
                ranges.Add(IpRange.Canonicalize(subnet,
                    ConfigReader.OptionalAddress(range, "rangeStart", rangePath),
                    ConfigReader.OptionalAddress(range, "rangeEnd", rangePath),
                    ConfigReader.OptionalAddress(range, "gateway", rangePath)));
            }

            if (ranges.Any(r => r.Family != ranges[0].Family))
            {
                throw new FormatException("mixed address families");
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
        catch (Exception ex) when (ex is FormatException or CniException)
        {
            throw new CniException(CniErrorCode.Internal, $"invalid range set {index}: {ex.Message}");
        }
    }

    private static IEnumerable<IPAddress> Addresses(JsonArray? values, string path) =>
        (values ?? []).Select((node, i) =>
        {
            string text = node?.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : string.Empty;
            // ip.IP accepts "10.1.0.5" and "10.1.0.5/24"; only the address counts.
            string address = text.Split('/')[0];
            return IPAddress.TryParse(address, out var ip) ? ip : throw new CniException(CniErrorCode.Internal, $"{path}[{i}]: invalid IP address \"{text}\"");
        });

    private static CniException Invalid(string path, string problem) => new(CniErrorCode.Internal, $"{path} {problem}");
}
