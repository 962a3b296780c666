namespace Strata.Lab;

/// <summary>
/// The names of a lab's kernel objects. The default lab's namespaces are <c>strata-underlay</c>
/// and <c>strata-node1</c>; another lab L gets <c>strata-L-underlay</c> and <c>strata-L-node1</c>,
/// so labs (and tests) never collide. Every name carries the lab's ID (conventions.md, rule 11).
/// </summary>
public readonly record struct LabNames(string LabName)
{
    public const string UnderlayRole = "underlay";
    public const string ApiServerRole = "apiserver";
    public const string RouterRole = "router";
    public const string NodeInterface = "eth0";

    public string Prefix => LabName == LabSpec.DefaultName ? "strata-" : $"strata-{LabName}-";

    public string UnderlayNamespace => Prefix + UnderlayRole;

    public string NodeNamespace(string node) => Prefix + node;

    /// <summary>The namespace that routes between the underlay's segments, when it has several.</summary>
    public string RouterNamespace => Prefix + RouterRole;

    /// <summary>The underlay's bridge of a segment: <c>br0</c>, <c>br1</c>, …</summary>
    public static string SegmentBridge(int segment) => $"br{segment}";

    /// <summary>The underlay end of the router's leg on a segment; the router's end is <c>eth&lt;segment&gt;</c>.</summary>
    public static string RouterVeth(int segment) => $"veth-router{segment}";

    /// <summary>The underlay end of a node's veth: <c>veth-node1</c>, or <c>vethN</c> (N = the node's index) when the name would pass 15 bytes.</summary>
    public static string UnderlayVeth(string node, int index)
    {
        string name = "veth-" + node;
        return name.Length <= Netlink.InterfaceName.MaxBytes ? name : $"veth{index}";
    }
}
