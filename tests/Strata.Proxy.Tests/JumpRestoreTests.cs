using Strata.Proxy.Iptables;

namespace Strata.Proxy.Tests;

/// <summary>The canaries and the jumps from the built-in chains, folded into a full sync's restore payload.</summary>
public sealed class JumpRestoreTests
{
    private const string Payload = """
        *filter
        :KUBE-SERVICES - [0:0]
        :KUBE-FIREWALL - [0:0]
        -A KUBE-FIREWALL -j DROP
        COMMIT
        *nat
        :KUBE-SERVICES - [0:0]
        -A KUBE-SERVICES -j RETURN
        COMMIT

        """;

    private static readonly Dictionary<string, string> Fresh = new()
    {
        ["filter"] = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
        ["nat"] = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n",
        ["mangle"] = "",
    };

    [Fact]
    public void OnAFreshKernelEveryCanaryChainAndJumpIsAddedInUpstreamsPrependOrder()
    {
        var merged = JumpRestore.Merge(Payload, Fresh);
        Assert.Equal(
            """
            *filter
            :KUBE-SERVICES - [0:0]
            :KUBE-FIREWALL - [0:0]
            :KUBE-PROXY-CANARY - [0:0]
            :KUBE-EXTERNAL-SERVICES - [0:0]
            :KUBE-NODEPORTS - [0:0]
            :KUBE-FORWARD - [0:0]
            :KUBE-PROXY-FIREWALL - [0:0]
            -A KUBE-FIREWALL -j DROP
            -I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
            -I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
            -I INPUT 1 -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
            -I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            -I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            -I FORWARD 1 -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
            -I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
            -I OUTPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
            -I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
            -I INPUT 1 -j KUBE-FIREWALL
            -I OUTPUT 1 -j KUBE-FIREWALL
            COMMIT
            *nat
            :KUBE-SERVICES - [0:0]
            :KUBE-PROXY-CANARY - [0:0]
            :KUBE-POSTROUTING - [0:0]
            -A KUBE-SERVICES -j RETURN
            -I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            -I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
            -I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
            COMMIT
            *mangle
            :KUBE-PROXY-CANARY - [0:0]
            COMMIT

            """,
            merged);
    }

    [Fact]
    public void WhatTheKernelHasIsLeftAloneAndAnExistingChainIsNeverRedeclared()
    {
        // The state right after the merged payload was applied: saving it back gives what iptables-save would show.
        var applied = JumpRestore.Merge(Payload, Fresh);
        var saved = new Dictionary<string, string>
        {
            ["filter"] = AsSaved(applied, "filter"),
            ["nat"] = AsSaved(applied, "nat"),
            ["mangle"] = AsSaved(applied, "mangle"),
        };
        Assert.Equal(Payload, JumpRestore.Merge(Payload, saved));

        // kubelet's KUBE-FIREWALL exists, and this payload (no localhost node ports) does not declare it: it is not
        // declared (that would flush kubelet's rule); only the one missing jump is added.
        var withoutFirewall = Payload.Replace(":KUBE-FIREWALL - [0:0]\n-A KUBE-FIREWALL -j DROP\n", "", StringComparison.Ordinal);
        saved["filter"] = saved["filter"].Replace("-A INPUT -j KUBE-FIREWALL\n", "", StringComparison.Ordinal);
        var merged = JumpRestore.Merge(withoutFirewall, saved);
        Assert.DoesNotContain(":KUBE-FIREWALL", merged, StringComparison.Ordinal);
        Assert.Equal(withoutFirewall.Replace("COMMIT\n*nat", "-I INPUT 1 -j KUBE-FIREWALL\nCOMMIT\n*nat", StringComparison.Ordinal), merged);
    }

    /// <summary>A table as iptables-save prints it after the payload: chains declared, -I turned into -A.</summary>
    private static string AsSaved(string payload, string table)
    {
        var lines = payload.Split('\n');
        var start = Array.IndexOf(lines, "*" + table);
        var body = lines.Skip(start + 1).TakeWhile(l => l != "COMMIT")
            .Select(l => l.StartsWith("-I ", StringComparison.Ordinal) ? "-A " + string.Join(' ', l.Split(' ').Where((_, i) => i != 2).Skip(1)) : l);
        return string.Join('\n', body.Prepend("*" + table).Append("COMMIT")) + "\n";
    }
}
