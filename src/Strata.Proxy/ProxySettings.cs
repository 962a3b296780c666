using System.Net;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Proxy;

/// <summary>
/// The proxy's node settings as its flags spell them (<c>--node-name</c>, <c>--node-ip</c>, <c>--cluster-cidr</c>, ...),
/// before validation. Shared by <c>strata proxy render</c> and the agent's proxy role.
/// </summary>
public sealed record ProxySettings
{
    public string NodeName { get; init; } = "";

    public string? NodeIP { get; init; }

    public string? ClusterCidr { get; init; }

    public bool MasqueradeAll { get; init; }

    public int MasqueradeBit { get; init; } = 14;

    public bool LocalhostNodePorts { get; init; } = true;

    /// <summary><c>--nodeport-addresses</c>: CIDRs; the node addresses inside them take NodePorts. Empty: every local address.</summary>
    public IReadOnlyList<string> NodePortAddresses { get; init; } = [];

    public bool RandomFully { get; init; } = true;

    public bool NfacctCounters { get; init; }

    public string Mode { get; init; } = "iptables";

    /// <summary><c>--healthz-bind-address</c>: IP:port of the /healthz and /livez server; empty disables it.</summary>
    public string HealthzBindAddress { get; init; } = Health.ProxyHealthServer.DefaultBindAddress;

    /// <summary>The parsed <see cref="HealthzBindAddress"/>, null when disabled.</summary>
    public IPEndPoint? ParseHealthzBindAddress()
    {
        if (string.IsNullOrEmpty(HealthzBindAddress))
        {
            return null;
        }

        return IPEndPoint.TryParse(HealthzBindAddress, out var endpoint) && HealthzBindAddress.Contains(':', StringComparison.Ordinal)
            && endpoint.Port != 0 && (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || HealthzBindAddress.StartsWith('['))
            ? endpoint
            : throw new FormatException($"--healthz-bind-address: \"{HealthzBindAddress}\" is not IP:port (such as {Health.ProxyHealthServer.DefaultBindAddress})");
    }

    public ProxyMode ParseMode() => Mode switch
    {
        "iptables" => ProxyMode.Iptables,
        "nftables" or "ipvs" or "userspace" => throw new ArgumentException($"--mode {Mode}: not implemented yet (only iptables)"),
        _ => throw new ArgumentException($"--mode {Mode}: unknown proxy mode (iptables, nftables, ipvs, userspace)"),
    };

    /// <summary>Validates and converts; <paramref name="nodeAddresses"/> are the node's own addresses, for --nodeport-addresses.</summary>
    public IptablesRenderOptions ToIptablesOptions(IReadOnlyList<IPAddress>? nodeAddresses = null)
    {
        IPAddress? nodeIP = null;
        if (!string.IsNullOrEmpty(NodeIP) && !IPAddress.TryParse(NodeIP, out nodeIP))
        {
            throw new FormatException($"--node-ip: \"{NodeIP}\" is not an IP address");
        }

        Cidr? clusterCidr = null;
        if (!string.IsNullOrEmpty(ClusterCidr))
        {
            clusterCidr = Cidr.TryParse(ClusterCidr, out var cidr) ? cidr : throw new FormatException($"--cluster-cidr: \"{ClusterCidr}\" is not a CIDR");
        }

        if (MasqueradeBit is < 0 or > 31)
        {
            throw new FormatException($"--iptables-masquerade-bit: {MasqueradeBit} is not in 0..31");
        }

        List<IPAddress>? nodePortAddresses = null;
        if (NodePortAddresses.Count > 0)
        {
            var cidrs = NodePortAddresses.Select(text => Cidr.TryParse(text, out var c) ? c : throw new FormatException($"--nodeport-addresses: \"{text}\" is not a CIDR")).ToList();
            var candidates = nodeAddresses ?? (nodeIP is null ? [] : [nodeIP]);
            nodePortAddresses = [.. candidates.Where(ip => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && cidrs.Any(c => c.Contains(ip)))];
        }

        return new IptablesRenderOptions
        {
            NodeIP = nodeIP,
            ClusterCidr = clusterCidr,
            MasqueradeAll = MasqueradeAll,
            MasqueradeBit = MasqueradeBit,
            LocalhostNodePorts = LocalhostNodePorts,
            NodePortAddresses = nodePortAddresses,
            RandomFully = RandomFully,
            NfacctCounters = NfacctCounters,
        };
    }
}
