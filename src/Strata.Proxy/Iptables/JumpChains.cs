namespace Strata.Proxy.Iptables;

/// <summary>One rule kube-proxy keeps in a built-in chain, jumping to one of its own (proxier.go, iptablesJumpChain).</summary>
public sealed record JumpChain(string Table, string DestinationChain, string SourceChain, string? Comment, IReadOnlyList<string> ExtraArgs)
{
    private static readonly string[] NewConnections = ["-m", "conntrack", "--ctstate", "NEW"];

    /// <summary>
    /// Upstream's iptablesJumpChains and iptablesKubeletJumpChains, in upstream's order; each is prepended, so the last
    /// of a source chain ends up first in it.
    /// </summary>
    public static readonly IReadOnlyList<JumpChain> All =
    [
        new("filter", ChainNames.ExternalServices, "INPUT", "kubernetes externally-visible service portals", NewConnections),
        new("filter", ChainNames.ExternalServices, "FORWARD", "kubernetes externally-visible service portals", NewConnections),
        new("filter", ChainNames.NodePorts, "INPUT", "kubernetes health check service ports", []),
        new("filter", ChainNames.Services, "FORWARD", "kubernetes service portals", NewConnections),
        new("filter", ChainNames.Services, "OUTPUT", "kubernetes service portals", NewConnections),
        new("filter", ChainNames.Forward, "FORWARD", "kubernetes forwarding rules", []),
        new("filter", ChainNames.ProxyFirewall, "INPUT", "kubernetes load balancer firewall", NewConnections),
        new("filter", ChainNames.ProxyFirewall, "OUTPUT", "kubernetes load balancer firewall", NewConnections),
        new("filter", ChainNames.ProxyFirewall, "FORWARD", "kubernetes load balancer firewall", NewConnections),
        new("nat", ChainNames.Services, "OUTPUT", "kubernetes service portals", []),
        new("nat", ChainNames.Services, "PREROUTING", "kubernetes service portals", []),
        new("nat", ChainNames.Postrouting, "POSTROUTING", "kubernetes postrouting rules", []),
        new("filter", ChainNames.KubeletFirewall, "INPUT", null, []),
        new("filter", ChainNames.KubeletFirewall, "OUTPUT", null, []),
    ];

    /// <summary>The rule's arguments after <c>-A SOURCE</c>: extra matches, the comment, the jump.</summary>
    public IReadOnlyList<string> Rule() => Comment is null
        ? [.. ExtraArgs, "-j", DestinationChain]
        : [.. ExtraArgs, "-m", "comment", "--comment", Comment, "-j", DestinationChain];
}
