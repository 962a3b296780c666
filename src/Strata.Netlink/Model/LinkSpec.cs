using System.Net;
using System.Net.NetworkInformation;

namespace Strata.Netlink;

/// <summary>What to create with <see cref="Rtnetlink.AddLink"/>: the attributes every kind shares.</summary>
public abstract record LinkSpec(string Name)
{
    public int? Mtu { get; init; }

    public PhysicalAddress? Address { get; init; }

    public uint? Group { get; init; }

    /// <summary>The bridge to enslave the new link to.</summary>
    public string? Master { get; init; }

    /// <summary>Bring the link up as it is created.</summary>
    public bool Up { get; init; }

    public abstract string Kind { get; }
}

/// <summary><c>ip link add NAME type veth peer name PEER [netns NS]</c>.</summary>
public sealed record VethSpec(string Name, string PeerName) : LinkSpec(Name)
{
    /// <summary>Where the peer is created. It is placed there atomically, so no crash can strand it here.</summary>
    public NetworkNamespace? PeerNamespace { get; init; }

    public PhysicalAddress? PeerAddress { get; init; }

    public override string Kind => "veth";
}

/// <summary><c>ip link add NAME type bridge</c>.</summary>
public sealed record BridgeSpec(string Name) : LinkSpec(Name)
{
    public override string Kind => "bridge";
}

/// <summary><c>ip link add NAME type vxlan id VNI [local IP] [dev DEV] [dstport PORT] [nolearning] [ttl N]</c>.</summary>
public sealed record VxlanSpec(string Name, uint Vni) : LinkSpec(Name)
{
    public const uint MaxVni = (1 << 24) - 1;

    public IPAddress? Local { get; init; }

    /// <summary><c>remote</c> (unicast) or <c>group</c> (multicast): the default destination (IFLA_VXLAN_GROUP).</summary>
    public IPAddress? Remote { get; init; }

    /// <summary>The underlay device (<c>dev eth0</c>).</summary>
    public string? Device { get; init; }

    /// <summary>UDP destination port; when null the kernel's default, 8472, applies.</summary>
    public ushort? Port { get; init; }

    public bool Learning { get; init; } = true;

    /// <summary>0 means <c>ttl auto</c>.</summary>
    public byte Ttl { get; init; }

    public override string Kind => "vxlan";
}
