using Strata.Netfilter;

namespace Strata.Proxy.Iptables;

/// <summary>
/// Folds what a full sync must make sure of outside its own chains — the KUBE-PROXY-CANARY chains and the jumps from the
/// built-in chains (<see cref="JumpChain.All"/>) — into the sync's one iptables-restore transaction, instead of upstream's
/// EnsureChain/EnsureRule (two iptables processes each, ~45 per full sync). Only what the current iptables-save lacks is
/// added: a missing chain is declared (declaring an existing one would flush it under --noflush), a missing jump is
/// inserted first in its built-in chain with <c>-I CHAIN 1</c>, which leaves the chain's other rules alone and, in the
/// order of <see cref="JumpChain.All"/>, gives the order upstream's successive prepends give. Pure.
/// </summary>
public static class JumpRestore
{
    public const string CanaryChain = "KUBE-PROXY-CANARY";

    /// <summary>The tables that hold a canary, in the order their sections are written.</summary>
    public static readonly IReadOnlyList<string> Tables = ["filter", "nat", "mangle"];

    /// <param name="payload">The renderer's restore payload.</param>
    /// <param name="saved">iptables-save of each of <see cref="Tables"/>, as the kernel holds them now.</param>
    public static string Merge(string payload, IReadOnlyDictionary<string, string> saved)
    {
        var lines = payload.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var appended = new List<string>();
        foreach (var table in Tables)
        {
            var save = saved.TryGetValue(table, out var text) ? text : throw new ArgumentException($"no iptables-save of table {table}", nameof(saved));
            var existingChains = IptablesSaveReader.Chains(save, table);
            var existingRules = save.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("-A ", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            var (header, commit) = Section(lines, table);
            var declared = header < 0 ? [] : lines[header..commit].Where(l => l.StartsWith(':')).Select(l => l[1..l.IndexOf(' ', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);

            var chains = new List<string>();
            foreach (var chain in JumpChain.All.Where(j => j.Table == table).Select(j => j.DestinationChain).Prepend(CanaryChain).Distinct())
            {
                if (!existingChains.Contains(chain) && !declared.Contains(chain))
                {
                    chains.Add($":{chain} - [0:0]");
                }
            }

            var jumps = JumpChain.All
                .Where(j => j.Table == table)
                .Select(j => (j.SourceChain, Args: string.Join(' ', j.Rule().Select(Quote))))
                .Where(j => !existingRules.Contains($"-A {j.SourceChain} {j.Args}"))
                .Select(j => $"-I {j.SourceChain} 1 {j.Args}")
                .ToList();
            if (chains.Count == 0 && jumps.Count == 0)
            {
                continue;
            }

            if (header < 0)
            {
                appended.AddRange([$"*{table}", .. chains, .. jumps, "COMMIT"]);
                continue;
            }

            // Declarations after the section's own, the inserts just before its COMMIT.
            var lastDeclaration = header;
            while (lastDeclaration + 1 < commit && lines[lastDeclaration + 1].StartsWith(':'))
            {
                lastDeclaration++;
            }

            lines.InsertRange(commit, jumps);
            lines.InsertRange(lastDeclaration + 1, chains);
        }

        return string.Join('\n', lines.Concat(appended)) + "\n";
    }

    /// <summary>The index of <c>*table</c> and of its COMMIT; (-1, -1) when the payload has no such section.</summary>
    private static (int Header, int Commit) Section(List<string> lines, string table)
    {
        var header = lines.IndexOf("*" + table);
        if (header < 0)
        {
            return (-1, -1);
        }

        var commit = lines.FindIndex(header, l => l == "COMMIT");
        return commit < 0 ? throw new ArgumentException($"the payload's *{table} section has no COMMIT") : (header, commit);
    }

    /// <summary>An argument as iptables-save prints it: quoted when it holds a space.</summary>
    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? $"\"{arg}\"" : arg;
}
