using System.Net;
using System.Net.Sockets;
using Strata.Dns.Cluster;
using Strata.Dns.Configuration;
using Strata.Dns.Wire;

namespace Strata.Dns.Resolution;

/// <summary>
/// Answers a question from a <see cref="ClusterSnapshot"/>, following the Kubernetes DNS specification (schema
/// 1.1.0, kubernetes/dns docs/specification.md) and, where the specification is silent, CoreDNS's plugin/kubernetes
/// (handler.go, kubernetes.go, reverse.go, ns.go): NXDOMAIN when no record of any type exists for the name, NODATA
/// (NOERROR with the SOA) when the name exists without the asked type, SERVFAIL before the first sync. Pure: no I/O.
/// </summary>
public sealed class ClusterResolver(DnsConfig config)
{
    public const string SchemaVersion = "1.1.0";

    /// <summary>CoreDNS answers dns-version with this TTL (plugin/kubernetes: 28800).</summary>
    public const uint DnsVersionTtl = 28800;

    /// <summary>The Service whose ClusterIPs the NS record's glue gives (the kubeadm name CoreDNS runs behind).</summary>
    public const string DnsServiceNamespace = "kube-system";
    public const string DnsServiceName = "kube-dns";

    private const int MaxChase = 8;

    public DnsConfig Config => config;

    public string NameServer => "ns.dns." + config.Zone;

    public Resolution Resolve(DnsQuestion question, ClusterSnapshot snapshot) => Resolve(question, snapshot, 0);

    /// <summary>The SOA this zone puts in the authority section of negative answers (RFC 2308).</summary>
    public DnsRecord Soa(ClusterSnapshot snapshot) => new(config.Zone, DnsType.SOA, DnsClass.IN, config.Ttl,
        new SoaData(NameServer, "hostmaster." + config.Zone, snapshot.Serial, 7200, 1800, 86400, config.Ttl));

    private Resolution Resolve(DnsQuestion question, ClusterSnapshot snapshot, int depth)
    {
        var lower = DnsName.ToLower(question.Name);
        if (DnsName.IsInZone(lower, config.Zone))
        {
            if (!snapshot.Synced)
            {
                return new Resolution(DnsRcode.ServFail, [], [Soa(snapshot)], []);
            }

            var relative = lower.Length == config.Zone.Length ? [] : DnsName.Labels(lower[..(lower.Length - config.Zone.Length - 1)]);
            relative.Reverse();
            return new Query(this, snapshot, question, relative, depth).Answer();
        }

        if (question.Type == DnsType.PTR && snapshot.Synced && ReverseName.Parse(lower) is { } ip
            && snapshot.Reverse.TryGetValue(ip, out var targets))
        {
            return new Resolution(DnsRcode.NoError,
                [.. targets.Select(t => new DnsRecord(question.Name, DnsType.PTR, DnsClass.IN, config.Ttl, new NameData(t + "." + config.Zone)))], [], []);
        }

        return Resolution.Forwarded;
    }

    /// <summary>One question's walk down the zone: <c>Parts[0]</c> is the label next to the zone.</summary>
    private sealed class Query(ClusterResolver resolver, ClusterSnapshot snapshot, DnsQuestion question, List<string> parts, int depth)
    {
        private DnsType Type => question.Type;

        private uint Ttl => resolver.Config.Ttl;

        private string Zone => resolver.Config.Zone;

        public Resolution Answer()
        {
            if (parts.Count == 0)
            {
                return Apex();
            }

            return parts[0] switch
            {
                "svc" => Services(),
                "pod" => Pods(),
                "dns-version" when parts.Count == 1 => Type == DnsType.TXT
                    ? Records([new DnsRecord(question.Name, DnsType.TXT, DnsClass.IN, DnsVersionTtl, new TxtData([SchemaVersion]))])
                    : NoData(),
                "dns" when parts.Count == 1 => NoData(),
                "dns" when parts.Count == 2 && parts[1] == "ns" => Addresses(question.Name, NameServerAddresses()),
                _ => NxDomain(),
            };
        }

        private Resolution Apex()
        {
            switch (Type)
            {
                case DnsType.SOA:
                    return Records([resolver.Soa(snapshot) with { Name = question.Name }]);
                case DnsType.NS:
                    var ns = new DnsRecord(question.Name, DnsType.NS, DnsClass.IN, Ttl, new NameData(resolver.NameServer));
                    var glue = NameServerAddresses().Select(ip => DnsRecord.Address(resolver.NameServer, Ttl, ip)).ToList();
                    return new Resolution(DnsRcode.NoError, [ns], [], glue);
                default:
                    return NoData();
            }
        }

        private List<IPAddress> NameServerAddresses() =>
            snapshot.Service(DnsServiceNamespace, DnsServiceName)?.ClusterIPs.ToList() ?? [];

        private Resolution Services()
        {
            if (parts.Count == 1)
            {
                return NoData();
            }

            var ns = parts[1];
            if (!snapshot.Namespaces.Contains(ns))
            {
                return NxDomain();
            }

            if (parts.Count == 2)
            {
                return NoData();
            }

            var service = snapshot.Service(ns, parts[2]);
            if (service is null)
            {
                return NxDomain();
            }

            return parts.Count switch
            {
                3 => ServiceName(service),
                4 => EndpointName(service, parts[3]),
                5 => PortName(service, proto: parts[3], port: parts[4]),
                _ => NxDomain(),
            };
        }

        private Resolution ServiceName(ServiceEntry service)
        {
            switch (service.Kind)
            {
                case ServiceKind.ExternalName:
                    return ExternalName(service);
                case ServiceKind.ClusterIP:
                    if (Type == DnsType.SRV)
                    {
                        return ServiceSrv(service, service.Ports);
                    }

                    return Addresses(question.Name, service.ClusterIPs);
                default:
                    var endpoints = service.PublishedEndpoints.ToList();
                    if (endpoints.Count == 0)
                    {
                        return NxDomain();
                    }

                    if (Type == DnsType.SRV)
                    {
                        return EndpointSrv(service, endpoints, _ => true);
                    }

                    return Addresses(question.Name, endpoints.Select(e => e.Endpoint.Address));
            }
        }

        private Resolution ExternalName(ServiceEntry service)
        {
            var target = service.ExternalName!;
            var cname = new DnsRecord(question.Name, DnsType.CNAME, DnsClass.IN, Ttl, new NameData(target));
            if (Type == DnsType.CNAME)
            {
                return Records([cname]);
            }

            if (Type == DnsType.SRV)
            {
                return Records([.. service.Ports.Select(p => new DnsRecord(question.Name, DnsType.SRV, DnsClass.IN, Ttl,
                    new SrvData(0, Weight(service.Ports.Count), (ushort)p.Port, target)))]);
            }

            if (!DnsName.IsInZone(DnsName.ToLower(target), Zone))
            {
                return new Resolution(DnsRcode.NoError, [cname], [], [], ChaseName: target);
            }

            if (depth >= MaxChase)
            {
                return new Resolution(DnsRcode.ServFail, [cname], [], []);
            }

            // A CNAME to a name of our own zone: follow it here (RFC 1034 4.3.2), and the rcode is the chain's end's.
            var next = resolver.Resolve(question with { Name = target }, snapshot, depth + 1);
            return next with { Answers = [cname, .. next.Answers] };
        }

        private Resolution EndpointName(ServiceEntry service, string label)
        {
            if (label.StartsWith('_'))
            {
                var proto = label[1..];
                return service.Ports.Any(p => p.Protocol == proto) || service.EndpointGroups.Any(g => g.Ports.Any(p => p.Protocol == proto))
                    ? NoData()
                    : NxDomain();
            }

            if (service.Kind == ServiceKind.ExternalName)
            {
                return NxDomain();
            }

            var matches = service.PublishedEndpoints.Where(e => e.Endpoint.Label == label).Select(e => e.Endpoint.Address).ToList();
            return matches.Count == 0 ? NxDomain() : Addresses(question.Name, matches);
        }

        private Resolution PortName(ServiceEntry service, string proto, string port)
        {
            if (!proto.StartsWith('_') || !port.StartsWith('_'))
            {
                return NxDomain();
            }

            bool Matches(PortEntry p) => p.Protocol == proto[1..] && p.Name.Equals(port[1..], StringComparison.OrdinalIgnoreCase);

            if (service.Kind == ServiceKind.Headless)
            {
                var endpoints = service.PublishedEndpoints.Where(e => e.Group.Ports.Any(Matches)).ToList();
                if (endpoints.Count == 0)
                {
                    return NxDomain();
                }

                return Type == DnsType.SRV ? EndpointSrv(service, endpoints, Matches) : NoData();
            }

            var ports = service.Ports.Where(Matches).ToList();
            if (ports.Count == 0)
            {
                return NxDomain();
            }

            if (Type != DnsType.SRV)
            {
                return NoData();
            }

            return service.Kind == ServiceKind.ExternalName
                ? Records([.. ports.Select(p => new DnsRecord(question.Name, DnsType.SRV, DnsClass.IN, Ttl, new SrvData(0, 100, (ushort)p.Port, service.ExternalName!)))])
                : ServiceSrv(service, ports);
        }

        /// <summary>SRV records for a ClusterIP Service: one per port, target the Service's name, glue its ClusterIPs.</summary>
        private Resolution ServiceSrv(ServiceEntry service, IReadOnlyList<PortEntry> ports)
        {
            var target = $"{service.Name}.{service.Namespace}.svc.{Zone}";
            var weight = Weight(ports.Count * Math.Max(1, service.ClusterIPs.Count));
            var answers = ports.Where(p => p.Port > 0).Select(p => p.Port).Distinct()
                .Select(p => new DnsRecord(question.Name, DnsType.SRV, DnsClass.IN, Ttl, new SrvData(0, weight, (ushort)p, target))).ToList();
            if (answers.Count == 0)
            {
                return NoData();
            }

            var ttl = Ttl;
            return new Resolution(DnsRcode.NoError, answers, [], [.. service.ClusterIPs.Select(ip => DnsRecord.Address(target, ttl, ip))]);
        }

        /// <summary>SRV records for a headless Service: endpoints × matching ports, target each endpoint's name, glue its address.</summary>
        private Resolution EndpointSrv(ServiceEntry service, List<(EndpointGroup Group, EndpointEntry Endpoint)> endpoints, Func<PortEntry, bool> portFilter)
        {
            var suffix = $"{service.Name}.{service.Namespace}.svc.{Zone}";
            var records = endpoints
                .SelectMany(e => e.Group.Ports.Where(p => p.Port > 0 && portFilter(p)).Select(p => (Target: e.Endpoint.Label + "." + suffix, p.Port, e.Endpoint.Address)))
                .ToList();
            if (records.Count == 0)
            {
                return NoData();
            }

            var weight = Weight(records.Count);
            var ttl = Ttl;
            var owner = question.Name;
            var answers = records.Select(r => (r.Target, r.Port)).Distinct()
                .Select(r => new DnsRecord(owner, DnsType.SRV, DnsClass.IN, ttl, new SrvData(0, weight, (ushort)r.Port, r.Target))).ToList();
            var glue = records.Select(r => (r.Target, r.Address)).Distinct().Select(r => DnsRecord.Address(r.Target, ttl, r.Address)).ToList();
            return new Resolution(DnsRcode.NoError, answers, [], glue);
        }

        private Resolution Pods()
        {
            if (parts.Count == 1)
            {
                return NoData();
            }

            var ns = parts[1];
            if (parts.Count > 3 || !snapshot.Namespaces.Contains(ns))
            {
                return NxDomain();
            }

            if (parts.Count == 2)
            {
                return NoData();
            }

            if (resolver.Config.Pods == PodMode.Disabled || DashedIp.Parse(parts[2]) is not { } ip)
            {
                return NxDomain();
            }

            if (resolver.Config.Pods == PodMode.Verified
                && !(snapshot.PodNamespacesByIp.TryGetValue(ip, out var namespaces) && namespaces.Contains(ns)))
            {
                return NxDomain();
            }

            return Addresses(question.Name, [ip]);
        }

        /// <summary>A, AAAA or ANY over addresses of a name that exists: NODATA when none has the asked family.</summary>
        private Resolution Addresses(string owner, IEnumerable<IPAddress> addresses)
        {
            var ttl = Ttl;
            var family = Type switch
            {
                DnsType.A => AddressFamily.InterNetwork,
                DnsType.AAAA => AddressFamily.InterNetworkV6,
                DnsType.ANY => AddressFamily.Unspecified,
                _ => (AddressFamily?)null,
            };
            if (family is null)
            {
                return NoData();
            }

            var records = addresses.Where(a => family == AddressFamily.Unspecified || a.AddressFamily == family).Distinct()
                .Select(a => DnsRecord.Address(owner, ttl, a)).ToList();
            return records.Count == 0 ? NoData() : Records(records);
        }

        private static ushort Weight(int records) => (ushort)(records == 0 ? 100 : 100 / records);

        private static Resolution Records(List<DnsRecord> answers) => new(DnsRcode.NoError, answers, [], []);

        private Resolution NoData() => new(DnsRcode.NoError, [], [resolver.Soa(snapshot)], []);

        private Resolution NxDomain() => new(DnsRcode.NXDomain, [], [resolver.Soa(snapshot)], []);
    }
}

/// <summary>in-addr.arpa and ip6.arpa names (RFC 1035 3.5, RFC 3596 2.5) back to the address.</summary>
public static class ReverseName
{
    public static IPAddress? Parse(string name)
    {
        name = DnsName.ToLower(name);
        if (name.EndsWith(".in-addr.arpa", StringComparison.Ordinal))
        {
            var octets = name[..^".in-addr.arpa".Length].Split('.');
            if (octets.Length != 4 || !octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit) && int.Parse(o, System.Globalization.CultureInfo.InvariantCulture) <= 255))
            {
                return null;
            }

            return IPAddress.Parse(string.Join('.', octets.Reverse()));
        }

        if (name.EndsWith(".ip6.arpa", StringComparison.Ordinal))
        {
            var nibbles = name[..^".ip6.arpa".Length].Split('.');
            if (nibbles.Length != 32 || !nibbles.All(n => n.Length == 1 && char.IsAsciiHexDigit(n[0])))
            {
                return null;
            }

            var hex = string.Concat(nibbles.Reverse());
            return new IPAddress(Convert.FromHexString(hex));
        }

        return null;
    }

    public static string For(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return $"{bytes[3]}.{bytes[2]}.{bytes[1]}.{bytes[0]}.in-addr.arpa";
        }

        var hex = Convert.ToHexStringLower(bytes);
        return string.Join('.', hex.Reverse()) + ".ip6.arpa";
    }
}
