namespace Strata.Netlink;

/// <summary>RT_SCOPE_* (linux/rtnetlink.h).</summary>
public enum Scope : byte
{
    Universe = 0,
    Site = 200,
    Link = 253,
    Host = 254,
    Nowhere = 255,
}

/// <summary>An address on a link: what <c>ip addr show</c> prints.</summary>
public sealed record InterfaceAddress(int LinkIndex, IpPrefix Prefix)
{
    public Scope Scope { get; init; }

    public string? Label { get; init; }

    /// <summary>IFA_F_* flags (permanent, nodad, tentative …).</summary>
    public uint Flags { get; init; }
}
