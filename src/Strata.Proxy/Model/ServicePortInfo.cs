using System.Net;

namespace Strata.Proxy.Model;

/// <summary>
/// What the proxy needs of one Service port, as upstream's BaseServicePortInfo (pkg/proxy/serviceport.go): the
/// addresses are already filtered to the proxy's IP family and parsed.
/// </summary>
public sealed record ServicePortInfo
{
    public required ServicePortName Name { get; init; }

    public required IPAddress ClusterIP { get; init; }

    public required int Port { get; init; }

    /// <summary>TCP, UDP or SCTP, as the API spells it.</summary>
    public required string Protocol { get; init; }

    public int NodePort { get; init; }

    public IReadOnlyList<IPAddress> ExternalIPs { get; init; } = [];

    public IReadOnlyList<IPAddress> LoadBalancerVIPs { get; init; } = [];

    public IReadOnlyList<Cidr> LoadBalancerSourceRanges { get; init; } = [];

    public bool SessionAffinityClientIP { get; init; }

    public int StickyMaxAgeSeconds { get; init; }

    public bool ExternalPolicyLocal { get; init; }

    public bool InternalPolicyLocal { get; init; }

    public int HealthCheckNodePort { get; init; }

    public bool ExternallyAccessible => NodePort != 0 || LoadBalancerVIPs.Count != 0 || ExternalIPs.Count != 0;

    /// <summary>Cluster endpoints are used for Cluster internal policy, and for any external traffic (short-circuiting).</summary>
    public bool UsesClusterEndpoints => !InternalPolicyLocal || ExternallyAccessible;

    public bool UsesLocalEndpoints => InternalPolicyLocal || (ExternalPolicyLocal && ExternallyAccessible);

    /// <summary>Value equality over the lists too, so that an unchanged Service is recognised as unchanged.</summary>
    public bool SameAs(ServicePortInfo other) =>
        Name == other.Name && ClusterIP.Equals(other.ClusterIP) && Port == other.Port && Protocol == other.Protocol
        && NodePort == other.NodePort && ExternalIPs.SequenceEqual(other.ExternalIPs)
        && LoadBalancerVIPs.SequenceEqual(other.LoadBalancerVIPs)
        && LoadBalancerSourceRanges.SequenceEqual(other.LoadBalancerSourceRanges)
        && SessionAffinityClientIP == other.SessionAffinityClientIP && StickyMaxAgeSeconds == other.StickyMaxAgeSeconds
        && ExternalPolicyLocal == other.ExternalPolicyLocal && InternalPolicyLocal == other.InternalPolicyLocal
        && HealthCheckNodePort == other.HealthCheckNodePort;
}
