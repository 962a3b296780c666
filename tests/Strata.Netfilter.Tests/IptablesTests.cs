using System.Net;
using System.Net.Sockets;

namespace Strata.Netfilter.Tests;

/// <summary>The iptables driver against the kernel, each test in a namespace of its own (its rules go with it).</summary>
public sealed class IptablesTests : IDisposable
{
    private const string Good = """
        *nat
        :STRATA-TEST - [0:0]
        -A STRATA-TEST -d 10.96.0.1/32 -p tcp -m comment --comment "kept rule" -j RETURN
        COMMIT

        """;

    private readonly ScratchNamespace _ns = ScratchNamespace.Create();
    private readonly Iptables _iptables;

    public IptablesTests() => _iptables = new Iptables($"{NetworkNamespace.RunDirectory}/{_ns.Name}");

    public void Dispose() => _ns.Dispose();

    [RootFact]
    public void RestoreLoadsAPayloadThatSaveThenShows()
    {
        _iptables.Restore(Good);
        var save = _iptables.Save("nat");
        Assert.Contains("STRATA-TEST", IptablesSaveReader.Chains(save, "nat"));
        Assert.Contains("PREROUTING", IptablesSaveReader.Chains(save, "nat"));
        Assert.Equal(
            ["-A STRATA-TEST -d 10.96.0.1/32 -p tcp -m comment --comment \"kept rule\" -j RETURN"],
            IptablesSaveReader.Rules(save, "nat", "STRATA-TEST"));
        Assert.Empty(IptablesSaveReader.Chains(save, "filter"));
    }

    [RootFact]
    public void SaveAllShowsEveryUsedTableInOneText()
    {
        _iptables.Restore(Good + "*filter\n:STRATA-FILTER - [0:0]\n-A INPUT -j STRATA-FILTER\nCOMMIT\n");
        var saved = SavedTables.Parse(_iptables.SaveAll(), ["INPUT"]);
        Assert.Contains("STRATA-TEST", saved.Chains("nat"));
        Assert.Contains("PREROUTING", saved.Chains("nat"));
        Assert.Contains("STRATA-FILTER", saved.Chains("filter"));
        Assert.True(saved.HasRule("filter", "-A INPUT -j STRATA-FILTER"));
        Assert.False(saved.HasRule("nat", "-A STRATA-TEST -d 10.96.0.1/32 -p tcp -m comment --comment \"kept rule\" -j RETURN")); // not a chain asked for
        Assert.Empty(saved.Chains("no-such-table"));
    }

    [RootFact]
    public void ABadMatchIsReportedWithItsLineAndNothingChanges()
    {
        _iptables.Restore(Good);
        const string bad = "*nat\n:STRATA-TEST - [0:0]\n-A STRATA-TEST -m no-such-match --foo -j ACCEPT\nCOMMIT\n";
        var error = Assert.Throws<IptablesRestoreException>(() => _iptables.Restore(bad));
        Assert.Equal(3, error.LineNumber);
        Assert.Equal("-A STRATA-TEST -m no-such-match --foo -j ACCEPT", error.Line);
        Assert.Contains("line 3: \"-A STRATA-TEST -m no-such-match --foo -j ACCEPT\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("no-such-match", error.Message, StringComparison.Ordinal);

        // The transaction failed as a whole: the rule of the good payload is still there.
        Assert.Single(IptablesSaveReader.Rules(_iptables.Save("nat"), "nat", "STRATA-TEST"));
    }

    [RootFact]
    public void AJumpToAMissingChainIsRefusedAndNamed()
    {
        const string bad = "*nat\n:STRATA-TEST - [0:0]\n-A STRATA-TEST -j KUBE-SVC-NOSUCHCHAIN0000\nCOMMIT\n";
        var error = Assert.Throws<IptablesRestoreException>(() => _iptables.Restore(bad));
        Assert.NotNull(error.LineNumber);
        Assert.Contains("KUBE-SVC-NOSUCHCHAIN0000", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("STRATA-TEST", IptablesSaveReader.Chains(_iptables.Save("nat"), "nat"));
    }

    [RootFact]
    public void NoFlushKeepsChainsThePayloadDoesNotName()
    {
        _iptables.Restore(Good);
        _iptables.Restore("*nat\n:STRATA-OTHER - [0:0]\n-A STRATA-OTHER -j RETURN\nCOMMIT\n");
        var chains = IptablesSaveReader.Chains(_iptables.Save("nat"), "nat");
        Assert.Contains("STRATA-TEST", chains);
        Assert.Contains("STRATA-OTHER", chains);

        // A declared chain is flushed and refilled; -X deletes one.
        _iptables.Restore("*nat\n:STRATA-TEST - [0:0]\n-X STRATA-TEST\nCOMMIT\n");
        Assert.DoesNotContain("STRATA-TEST", IptablesSaveReader.Chains(_iptables.Save("nat"), "nat"));
    }

    [RootFact]
    public void EnsureChainAndRuleAreIdempotent()
    {
        Assert.False(_iptables.EnsureChain("filter", "STRATA-JUMP"));
        Assert.True(_iptables.EnsureChain("filter", "STRATA-JUMP"));
        string[] jump = ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "kubernetes service portals", "-j", "STRATA-JUMP"];
        Assert.False(_iptables.EnsureRule(RulePosition.Prepend, "filter", "INPUT", jump));
        Assert.True(_iptables.EnsureRule(RulePosition.Prepend, "filter", "INPUT", jump));
        Assert.Single(IptablesSaveReader.Rules(_iptables.Save("filter"), "filter", "INPUT"));
        Assert.True(_iptables.DeleteRule("filter", "INPUT", jump));
        Assert.Empty(IptablesSaveReader.Rules(_iptables.Save("filter"), "filter", "INPUT"));
    }

    [RootFact]
    public void ConntrackDeletesTheUdpFlowsDnatedToARemovedEndpoint()
    {
        Tool.Ip(_ns.Name, "link", "set", "lo", "up");
        Tool.Ip(_ns.Name, "link", "add", "strata-d0", "type", "veth", "peer", "name", "strata-d1");
        Tool.Ip(_ns.Name, "addr", "add", "10.99.0.2/24", "dev", "strata-d0");
        Tool.Ip(_ns.Name, "link", "set", "strata-d0", "up");
        Tool.Ip(_ns.Name, "link", "set", "strata-d1", "up");
        _iptables.Restore("*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -d 10.99.0.1/32 -p udp --dport 53 -j DNAT --to-destination 10.99.0.2:5353\nCOMMIT\n");
        _ns.Namespace.Run(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SendTo("query"u8.ToArray(), new IPEndPoint(IPAddress.Parse("10.99.0.1"), 53));
        });
        var conntrack = new Conntrack($"{NetworkNamespace.RunDirectory}/{_ns.Name}");
        Assert.Contains("dst=10.99.0.1", ListFlows(), StringComparison.Ordinal);

        // Another endpoint: nothing to delete, which is not an error.
        Assert.Equal(0, conntrack.Delete(new ConntrackFilter("UDP", IPAddress.Parse("10.99.0.1"), DnatTo: IPAddress.Parse("10.99.0.7"))));
        Assert.Equal(1, conntrack.Delete(new ConntrackFilter("UDP", IPAddress.Parse("10.99.0.1"), DnatTo: IPAddress.Parse("10.99.0.2"))));
        Assert.DoesNotContain("dst=10.99.0.1", ListFlows(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConntrackArgumentsAreUpstreams()
    {
        Assert.Equal(
            "-D --orig-dst 10.96.0.10 --dst-nat 10.244.1.5 -p udp",
            string.Join(' ', new ConntrackFilter("UDP", IPAddress.Parse("10.96.0.10"), DnatTo: IPAddress.Parse("10.244.1.5")).Arguments()));
        Assert.Equal(
            "-D --dst-nat 10.244.1.5 -p udp --dport 30053",
            string.Join(' ', new ConntrackFilter("UDP", OriginalPort: 30053, DnatTo: IPAddress.Parse("10.244.1.5")).Arguments()));
    }

    [Fact]
    public void RestoreErrorsFromEitherBackendNameTheLine()
    {
        const string payload = "*nat\n:A - [0:0]\n-A A -j B\nCOMMIT\n";
        var legacy = RestoreError.Describe(payload, new CommandResult(1, "", "iptables-restore: line 3 failed\n"));
        Assert.Equal(3, legacy.LineNumber);
        Assert.StartsWith("iptables-restore failed at line 3: \"-A A -j B\"", legacy.Message, StringComparison.Ordinal);
        Assert.Contains("> 3: -A A -j B", legacy.Message, StringComparison.Ordinal);

        var nft = RestoreError.Describe(payload, new CommandResult(2, "", "iptables-restore v1.8.9 (nf_tables): Chain 'B' does not exist\nError occurred at line: 4\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n"));
        Assert.Equal(4, nft.LineNumber);
        Assert.Equal("COMMIT", nft.Line);
        Assert.Contains("Chain 'B' does not exist", nft.Message, StringComparison.Ordinal);

        var other = RestoreError.Describe(payload, new CommandResult(4, "", "Another app is currently holding the xtables lock.\n"));
        Assert.Null(other.LineNumber);
        Assert.Contains("xtables lock", other.Message, StringComparison.Ordinal);
    }

    private string ListFlows() =>
        Tool.Run("nsenter", $"--net={NetworkNamespace.RunDirectory}/{_ns.Name}", "--", "conntrack", "-L", "-p", "udp") is var (_, stdout, _) ? stdout : "";
}
