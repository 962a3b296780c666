using Strata.Flannel.Iptables;
using Strata.Netlink;

namespace Strata.Flannel.Tests;

/// <summary>
/// Golden text of flannel's rules as iptables-save lists them; the rule specs are upstream's masqRules and forwardRules
/// (flannel-io/flannel pkg/trafficmngr/iptables/iptables.go), in the same order.
/// </summary>
public sealed class MasqRulesTests
{
    private static readonly IpPrefix Network = IpPrefix.Parse("10.233.64.0/18");
    private static readonly IpPrefix Lease = IpPrefix.Parse("10.233.65.0/24");

    [Fact]
    public void PostroutingChainIsUpstreamsSixRules()
    {
        Assert.Equal(
        [
            "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG -s 10.233.65.0/24 -d 10.233.64.0/18 -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG -s 10.233.64.0/18 -d 10.233.65.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG ! -s 10.233.64.0/18 -d 10.233.65.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG -s 10.233.64.0/18 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
            "-A FLANNEL-POSTRTG ! -s 10.233.64.0/18 -d 10.233.64.0/18 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
        ], MasqRules.Postrouting(Network, Lease));
    }

    [Fact]
    public void WithoutRandomFullyTheMasqueradeRulesHaveNoFlag()
    {
        var rules = MasqRules.Postrouting(Network, Lease, randomFully: false);

        Assert.Equal("-A FLANNEL-POSTRTG -s 10.233.64.0/18 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE", rules[4]);
        Assert.DoesNotContain(rules, r => r.Contains("random", StringComparison.Ordinal));
    }

    [Fact]
    public void SetupPayloadOnAFreshNodeDeclaresBothChainsAndAppendsOneJumpEach()
    {
        string payload = MasqRules.RenderSetup(Network, Lease, ipMasq: true, natSave: "*nat\nCOMMIT\n", filterSave: "*filter\nCOMMIT\n");

        Assert.Equal(
            """
            *nat
            :FLANNEL-POSTRTG - [0:0]
            -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
            -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
            -A FLANNEL-POSTRTG -s 10.233.65.0/24 -d 10.233.64.0/18 -m comment --comment "flanneld masq" -j RETURN
            -A FLANNEL-POSTRTG -s 10.233.64.0/18 -d 10.233.65.0/24 -m comment --comment "flanneld masq" -j RETURN
            -A FLANNEL-POSTRTG ! -s 10.233.64.0/18 -d 10.233.65.0/24 -m comment --comment "flanneld masq" -j RETURN
            -A FLANNEL-POSTRTG -s 10.233.64.0/18 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
            -A FLANNEL-POSTRTG ! -s 10.233.64.0/18 -d 10.233.64.0/18 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
            COMMIT
            *filter
            :FLANNEL-FWD - [0:0]
            -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
            -A FLANNEL-FWD -s 10.233.64.0/18 -m comment --comment "flanneld forward" -j ACCEPT
            -A FLANNEL-FWD -d 10.233.64.0/18 -m comment --comment "flanneld forward" -j ACCEPT
            COMMIT

            """.ReplaceLineEndings("\n"),
            payload);
    }

    [Fact]
    public void SetupPayloadDeletesEveryExistingJumpBeforeAppendingOne()
    {
        string nat = "*nat\n:FLANNEL-POSTRTG - [0:0]\n-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n" +
                     "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\nCOMMIT\n";

        string payload = MasqRules.RenderSetup(Network, Lease, ipMasq: false, natSave: nat, filterSave: "*filter\n-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\nCOMMIT\n");

        Assert.DoesNotContain("*nat", payload, StringComparison.Ordinal);
        Assert.Contains(":FLANNEL-FWD - [0:0]\n-D FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n", payload, StringComparison.Ordinal);
        Assert.Equal(
            "*nat\n:FLANNEL-POSTRTG - [0:0]\n-D POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n" +
            "-D POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG\n-X FLANNEL-POSTRTG\nCOMMIT\n",
            MasqRules.RenderMasqCleanup(nat));
        Assert.Null(MasqRules.RenderMasqCleanup("*nat\nCOMMIT\n"));
    }
}
