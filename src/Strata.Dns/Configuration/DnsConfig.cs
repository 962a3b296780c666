using System.Globalization;
using System.Net;
using Strata.Dns.Wire;

namespace Strata.Dns.Configuration;

/// <summary>How <c>&lt;ip&gt;.&lt;ns&gt;.pod.&lt;zone&gt;</c> is answered (CoreDNS's <c>pods</c> option).</summary>
public enum PodMode
{
    /// <summary>NXDOMAIN for every pod name.</summary>
    Disabled,

    /// <summary>Any well-formed dashed IP in an existing namespace answers with that IP (kube-dns's behaviour).</summary>
    Insecure,

    /// <summary>Only the IP of a pod that runs in that namespace.</summary>
    Verified,
}

/// <summary>
/// The server's configuration: one immutable value, swapped whole when the ConfigMap changes. The ConfigMap's
/// <c>data</c> (or a YAML mapping in a file) has these keys, all optional:
/// <list type="bullet">
/// <item><c>zone</c>: the cluster domain (default <c>cluster.local</c>);</item>
/// <item><c>ttl</c>: seconds, 0–3600, of every cluster answer and of the SOA minimum (default 30);</item>
/// <item><c>upstreams</c>: resolvers for names outside the zone, separated by spaces or commas, each <c>ip</c>, <c>ip:port</c> or <c>[ipv6]:port</c> (default: the nameservers of <c>/etc/resolv.conf</c>);</item>
/// <item><c>pods</c>: <c>disabled</c>, <c>insecure</c> (default) or <c>verified</c>.</item>
/// </list>
/// </summary>
public sealed record DnsConfig
{
    public static readonly IReadOnlyList<string> Keys = ["zone", "ttl", "upstreams", "pods"];

    public string Zone { get; init; } = "cluster.local";

    public uint Ttl { get; init; } = 30;

    public IReadOnlyList<IPEndPoint> Upstreams { get; init; } = [];

    public PodMode Pods { get; init; } = PodMode.Insecure;

    public override string ToString() =>
        $"zone {Zone}, ttl {Ttl}, pods {Pods.ToString().ToLowerInvariant()}, upstreams {(Upstreams.Count == 0 ? "none" : string.Join(' ', Upstreams))}";

    public bool Equals(DnsConfig? other) =>
        other is not null && Zone == other.Zone && Ttl == other.Ttl && Pods == other.Pods && Upstreams.SequenceEqual(other.Upstreams);

    public override int GetHashCode() => HashCode.Combine(Zone, Ttl, Pods, Upstreams.Count);

    /// <summary>Reads <paramref name="data"/> (where from is <paramref name="source"/>); every error names the key and the value.</summary>
    public static DnsConfig Parse(IReadOnlyDictionary<string, string> data, string source, Func<IReadOnlyList<IPEndPoint>> defaultUpstreams)
    {
        var config = new DnsConfig();
        foreach (var key in data.Keys)
        {
            if (!Keys.Contains(key))
            {
                throw new DnsConfigException($"{source}: unknown key \"{key}\" (known: {string.Join(", ", Keys)})");
            }
        }

        if (data.TryGetValue("zone", out var zone))
        {
            config = config with { Zone = ParseZone(zone, source) };
        }

        if (data.TryGetValue("ttl", out var ttl))
        {
            if (!uint.TryParse(ttl.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 3600)
            {
                throw new DnsConfigException($"{source}: ttl \"{ttl}\" is not a whole number of seconds from 0 to 3600");
            }

            config = config with { Ttl = seconds };
        }

        if (data.TryGetValue("pods", out var pods))
        {
            config = config with
            {
                Pods = pods.Trim() switch
                {
                    "disabled" => PodMode.Disabled,
                    "insecure" => PodMode.Insecure,
                    "verified" => PodMode.Verified,
                    _ => throw new DnsConfigException($"{source}: pods \"{pods}\" is not one of disabled, insecure, verified"),
                },
            };
        }

        config = config with
        {
            Upstreams = data.TryGetValue("upstreams", out var upstreams) ? ParseUpstreams(upstreams, source) : defaultUpstreams(),
        };
        return config;
    }

    public static IReadOnlyList<IPEndPoint> ParseUpstreams(string text, string source)
    {
        var list = new List<IPEndPoint>();
        foreach (var item in text.Split([' ', ',', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPAddress.TryParse(item, out var ip))
            {
                list.Add(new IPEndPoint(ip, 53));
            }
            else if (IPEndPoint.TryParse(item, out var endpoint) && endpoint.Port != 0)
            {
                list.Add(endpoint);
            }
            else
            {
                throw new DnsConfigException($"{source}: upstream \"{item}\" is not an IP address, ip:port or [ipv6]:port");
            }
        }

        return list;
    }

    /// <summary>The nameservers of a resolv.conf, leaving out loopback 127.0.0.53-style stubs only if asked.</summary>
    public static IReadOnlyList<IPEndPoint> ResolvConfNameservers(string path = "/etc/resolv.conf")
    {
        if (!File.Exists(path))
        {
            return [];
        }

        return [.. File.ReadAllLines(path)
            .Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && f[0] == "nameserver" && IPAddress.TryParse(f[1], out _))
            .Select(f => new IPEndPoint(IPAddress.Parse(f[1]), 53))];
    }

    private static string ParseZone(string zone, string source)
    {
        var name = DnsName.ToLower(DnsName.Normalize(zone.Trim()));
        if (name.Length == 0)
        {
            throw new DnsConfigException($"{source}: zone \"{zone}\" is empty; give the cluster domain, e.g. cluster.local");
        }

        foreach (var label in DnsName.Labels(name))
        {
            if (label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || label.StartsWith('-') || label.EndsWith('-'))
            {
                throw new DnsConfigException($"{source}: zone \"{zone}\" has an invalid label \"{label}\" (letters, digits and inner dashes, at most 63)");
            }
        }

        return name;
    }
}

public sealed class DnsConfigException(string message) : Exception(message);
