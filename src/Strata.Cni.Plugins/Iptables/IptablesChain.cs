namespace Strata.Cni.Plugins.Iptables;

/// <summary>
/// A chain a plugin owns, the rules in it, and the rules in other chains that jump to it
/// (the model of containernetworking/plugins plugins/meta/portmap/chain.go). Pure data: the
/// <see cref="IptablesDriver"/> applies it.
/// </summary>
public sealed record IptablesChain(string Table, string Name)
{
    /// <summary>The chains that get an entry rule jumping here (PREROUTING, OUTPUT …).</summary>
    public IReadOnlyList<string> EntryChains { get; init; } = [];

    /// <summary>The match parts of the entry rules; "-j NAME" is appended to each.</summary>
    public IReadOnlyList<IReadOnlyList<string>> EntryRules { get; init; } = [];

    public IReadOnlyList<IReadOnlyList<string>> Rules { get; init; } = [];

    /// <summary>Insert the entry rules at the top of their chains instead of appending them.</summary>
    public bool PrependEntry { get; init; }

    public IEnumerable<IReadOnlyList<string>> EntryRulesWithJump => EntryRules.Select(rule => (IReadOnlyList<string>)[.. rule, "-j", Name]);
}
