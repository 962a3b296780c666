using System.Net;
using Strata.Netlink;

namespace Strata.Flannel.Config;

/// <summary>
/// flannel's <c>net-conf.json</c> after parsing and the defaults of pkg/subnet/config.go (CheckNetworkConfig):
/// the cluster network, the subnet length and range leases come from, and the backend.
/// </summary>
public sealed record NetConf(IpPrefix Network, int SubnetLen, IPAddress SubnetMin, IPAddress SubnetMax, BackendConfig Backend)
{
    public const string DefaultConfigMapNamespace = "kube-flannel";
    public const string DefaultConfigMapName = "kube-flannel-cfg";
    public const string ConfigMapKey = "net-conf.json";
}

/// <summary>The <c>Backend</c> object: its <c>Type</c> and that type's settings.</summary>
public abstract record BackendConfig(string Type);

/// <summary>pkg/backend/vxlan/vxlan.go VXLANConfig. Port 0 lets the kernel pick its default, 8472.</summary>
public sealed record VxlanConfig(int Vni, int Port, int Mtu, bool Gbp, bool Learning, bool DirectRouting) : BackendConfig(VxlanType)
{
    public const string VxlanType = "vxlan";
    public const int DefaultVni = 1;

    /// <summary>The kernel's default VXLAN port (drivers/net/vxlan: IANA's 4789 is not Linux's default).</summary>
    public const int KernelDefaultPort = 8472;

    public int EffectivePort => Port == 0 ? KernelDefaultPort : Port;

    public string DeviceName => $"flannel.{Vni}";
}

/// <summary>pkg/backend/hostgw: no settings.</summary>
public sealed record HostGwConfig() : BackendConfig(HostGwType)
{
    public const string HostGwType = "host-gw";
}

/// <summary>pkg/backend/udp/udp.go: the UDP port of the encapsulation, 8285 by default.</summary>
public sealed record UdpConfig(int Port) : BackendConfig(UdpType)
{
    public const string UdpType = "udp";
    public const int DefaultPort = 8285;
    public const string DeviceName = "flannel0";
}
