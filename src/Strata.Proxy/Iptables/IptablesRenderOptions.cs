using System.Globalization;
using System.Net;
using Strata.Proxy.Model;

namespace Strata.Proxy.Iptables;

/// <summary>The node-level settings of the iptables mode, as kube-proxy's flags and config name them.</summary>
public sealed record IptablesRenderOptions
{
    /// <summary>The node's IP: a load balancer source range containing it also admits traffic from the VIP itself.</summary>
    public IPAddress? NodeIP { get; init; }

    /// <summary><c>--cluster-cidr</c>: traffic from outside it to a cluster IP is masqueraded (LocalTrafficDetector by CIDR).</summary>
    public Cidr? ClusterCidr { get; init; }

    /// <summary><c>--masquerade-all</c>: SNAT all traffic to cluster IPs.</summary>
    public bool MasqueradeAll { get; init; }

    /// <summary><c>--iptables-masquerade-bit</c>: the fwmark bit of KUBE-MARK-MASQ (14 gives 0x4000).</summary>
    public int MasqueradeBit { get; init; } = 14;

    /// <summary><c>--iptables-localhost-nodeports</c>: NodePorts answer on 127.0.0.0/8 (needs route_localnet).</summary>
    public bool LocalhostNodePorts { get; init; } = true;

    /// <summary>
    /// The node addresses <c>--nodeport-addresses</c> selected, or null when it is empty and NodePorts answer on every
    /// local address.
    /// </summary>
    public IReadOnlyList<IPAddress>? NodePortAddresses { get; init; }

    /// <summary>MASQUERADE with <c>--random-fully</c> (iptables 1.6.2 and later).</summary>
    public bool RandomFully { get; init; } = true;

    /// <summary>kube-proxy's nfacct counters exist (ct_state_invalid_dropped_pkts, localhost_nps_accepted_pkts).</summary>
    public bool NfacctCounters { get; init; }

    /// <summary>nf_conntrack_tcp_be_liberal is set, so INVALID packets are not dropped.</summary>
    public bool ConntrackTcpLiberal { get; init; }

    public string MasqueradeMark => "0x" + (1 << MasqueradeBit).ToString("x", CultureInfo.InvariantCulture);
}
