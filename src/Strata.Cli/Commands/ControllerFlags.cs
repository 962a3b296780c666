using System.CommandLine;
using Microsoft.Extensions.Logging;
using Strata.Controllers;

namespace Strata.Cli.Commands;

/// <summary>The controller flags that <c>strata apiserver</c> and <c>strata controller-manager</c> share (kube-controller-manager's names).</summary>
internal sealed class ControllerFlags
{
    private static readonly ControllerManagerOptions Defaults = new();

    public Option<string> Controllers { get; } = new("--controllers")
    {
        Description = $"Comma-separated control loops to run: '*' for all, names, '-name' to leave one out, '' for none. Known: {string.Join(", ", ControllerManager.KnownControllers)}.",
        DefaultValueFactory = _ => "*",
    };

    public Option<string> ClusterCidr { get; } = new("--cluster-cidr")
    {
        Description = "The pod network that node podCIDRs are cut from.",
        DefaultValueFactory = _ => Defaults.ClusterCidr,
    };

    public Option<int> NodeCidrMaskSize { get; } = new("--node-cidr-mask-size")
    {
        Description = "The prefix length of each node's podCIDR.",
        DefaultValueFactory = _ => Defaults.NodeCidrMaskSize,
    };

    public Option<string?> LoadBalancerPool { get; } = new("--load-balancer-pool")
    {
        Description = "Addresses for LoadBalancer Services (CIDRs and first-last ranges, comma-separated, as a MetalLB IPAddressPool); without it, the service-lb-ipam controller does not run.",
    };

    public IEnumerable<Option> All => [Controllers, ClusterCidr, NodeCidrMaskSize, LoadBalancerPool];

    public List<string> ControllerNames(ParseResult result) =>
        [.. result.GetValue(Controllers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>One line per message on the console, as both long-running commands log.</summary>
    public static ILoggerFactory ConsoleLogging() => LoggerFactory.Create(b => b.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    }));
}
