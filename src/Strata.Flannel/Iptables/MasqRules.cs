using System.Text;
using Strata.Netlink;

namespace Strata.Flannel.Iptables;

/// <summary>
/// flannel's iptables rules (pkg/trafficmngr/iptables/iptables.go masqRules and forwardRules), rendered as one
/// <c>iptables-restore --noflush</c> transaction. Declaring a chain in the payload flushes it, so the chain's rules
/// are replaced whole; the jump from the built-in chain is deleted as many times as it exists and appended once,
/// as upstream's ipTablesCleanAndBuild does. Pure.
/// </summary>
public static class MasqRules
{
    public const string PostroutingChain = "FLANNEL-POSTRTG";
    public const string ForwardChain = "FLANNEL-FWD";

    /// <summary>kube-proxy's masquerade mark (trafficmngr.KubeProxyMark): traffic it marks is left to it.</summary>
    public const string KubeProxyMark = "0x4000/0x4000";

    private const string MasqComment = "-m comment --comment \"flanneld masq\"";
    private const string ForwardComment = "-m comment --comment \"flanneld forward\"";

    public static string PostroutingJump => $"-A POSTROUTING {MasqComment} -j {PostroutingChain}";

    public static string ForwardJump => $"-A FORWARD {ForwardComment} -j {ForwardChain}";

    /// <summary>The FLANNEL-POSTRTG rules as <c>iptables-save</c> lists them.</summary>
    public static IReadOnlyList<string> Postrouting(IpPrefix network, IpPrefix lease, bool randomFully = true)
    {
        string random = randomFully ? " --random-fully" : "";
        return
        [
            $"-A {PostroutingChain} -m mark --mark {KubeProxyMark} {MasqComment} -j RETURN",
            $"-A {PostroutingChain} -s {lease} -d {network} {MasqComment} -j RETURN",
            $"-A {PostroutingChain} -s {network} -d {lease} {MasqComment} -j RETURN",
            $"-A {PostroutingChain} ! -s {network} -d {lease} {MasqComment} -j RETURN",
            $"-A {PostroutingChain} -s {network} ! -d 224.0.0.0/4 {MasqComment} -j MASQUERADE{random}",
            $"-A {PostroutingChain} ! -s {network} -d {network} {MasqComment} -j MASQUERADE{random}",
        ];
    }

    /// <summary>The FLANNEL-FWD rules (flanneld's --iptables-forward-rules, on by default).</summary>
    public static IReadOnlyList<string> Forward(IpPrefix network) =>
    [
        $"-A {ForwardChain} -s {network} {ForwardComment} -j ACCEPT",
        $"-A {ForwardChain} -d {network} {ForwardComment} -j ACCEPT",
    ];

    /// <summary>
    /// The restore payload that installs the rules. <paramref name="natSave"/> and <paramref name="filterSave"/> are the
    /// current <c>iptables-save -t nat</c> / <c>-t filter</c> output, to delete the jumps already there.
    /// </summary>
    public static string RenderSetup(IpPrefix network, IpPrefix lease, bool ipMasq, string natSave, string filterSave, bool randomFully = true)
    {
        var text = new StringBuilder();
        if (ipMasq)
        {
            text.Append("*nat\n");
            text.Append($":{PostroutingChain} - [0:0]\n");
            AppendJumpDeletes(text, natSave, PostroutingJump);
            text.Append(PostroutingJump).Append('\n');
            foreach (var rule in Postrouting(network, lease, randomFully))
            {
                text.Append(rule).Append('\n');
            }

            text.Append("COMMIT\n");
        }

        text.Append("*filter\n");
        text.Append($":{ForwardChain} - [0:0]\n");
        AppendJumpDeletes(text, filterSave, ForwardJump);
        text.Append(ForwardJump).Append('\n');
        foreach (var rule in Forward(network))
        {
            text.Append(rule).Append('\n');
        }

        text.Append("COMMIT\n");
        return text.ToString();
    }

    /// <summary>The payload that removes FLANNEL-POSTRTG (ipMasq turned off), or null if it is not there.</summary>
    public static string? RenderMasqCleanup(string natSave)
    {
        if (!natSave.Split('\n').Any(l => l.TrimEnd() == $":{PostroutingChain} - [0:0]" || l.StartsWith($":{PostroutingChain} ", StringComparison.Ordinal)))
        {
            return null;
        }

        var text = new StringBuilder("*nat\n");
        text.Append($":{PostroutingChain} - [0:0]\n");
        AppendJumpDeletes(text, natSave, PostroutingJump);
        text.Append($"-X {PostroutingChain}\n");
        text.Append("COMMIT\n");
        return text.ToString();
    }

    private static void AppendJumpDeletes(StringBuilder text, string save, string jump)
    {
        int count = save.Split('\n').Count(l => l.TrimEnd() == jump);
        for (int i = 0; i < count; i++)
        {
            text.Append("-D").Append(jump.AsSpan(2)).Append('\n');
        }
    }
}
