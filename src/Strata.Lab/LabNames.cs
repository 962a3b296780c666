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
    public const string Bridge = "br0";
    public const string NodeInterface = "eth0";

    public string Prefix => LabName == LabSpec.DefaultName ? "strata-" : $"strata-{LabName}-";

    public string UnderlayNamespace => Prefix + UnderlayRole;

    public string NodeNamespace(string node) => Prefix + node;

    /// <summary>The underlay end of a node's veth: <c>veth-node1</c>, or <c>vethN</c> (N = the node's index) when the name would pass 15 bytes.</summary>
    public static string UnderlayVeth(string node, int index)
    {
        string name = "veth-" + node;
        return name.Length <= Netlink.InterfaceName.MaxBytes ? name : $"veth{index}";
    }
}
