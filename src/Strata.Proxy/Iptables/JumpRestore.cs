using System.Runtime.CompilerServices;
using System.Text;
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

    /// <summary>The built-in chains the jumps start from: the only chains whose rules <see cref="Merge"/> looks up.</summary>
    public static readonly IReadOnlySet<string> SourceChains = JumpChain.All.Select(j => j.SourceChain).ToHashSet(StringComparer.Ordinal);

    /// <summary>Reads an iptables-save text (any tables) for <see cref="Merge"/>.</summary>
    public static SavedTables Read(string save) => SavedTables.Parse(save, SourceChains);

    /// <param name="payload">The renderer's restore payload.</param>
    /// <param name="saved">The kernel's tables now (<see cref="Read"/>); a table it does not hold is taken as empty.</param>
    /// <returns>The payload with the missing declarations after each section's own and the inserts before its COMMIT;
    /// sections for tables the payload lacks are appended. The payload's own text is copied, never re-split.</returns>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string Merge(string payload, SavedTables saved)
    {
        var inserts = new List<(int At, string Text)>();
        var appended = new StringBuilder();
        foreach (var table in Tables)
        {
            var section = Section(payload, table);
            var existingChains = saved.Chains(table);
            var declared = section is { } s ? Declared(payload, s) : [];

            var chains = new StringBuilder();
            foreach (var chain in JumpChain.All.Where(j => j.Table == table).Select(j => j.DestinationChain).Prepend(CanaryChain).Distinct())
            {
                if (!existingChains.Contains(chain) && !declared.Contains(chain))
                {
                    chains.Append(':').Append(chain).Append(" - [0:0]\n");
                }
            }

            var jumps = new StringBuilder();
            foreach (var jump in JumpChain.All.Where(j => j.Table == table))
            {
                var args = string.Join(' ', jump.Rule().Select(Quote));
                if (!saved.HasRule(table, $"-A {jump.SourceChain} {args}"))
                {
                    jumps.Append("-I ").Append(jump.SourceChain).Append(" 1 ").Append(args).Append('\n');
                }
            }

            if (chains.Length == 0 && jumps.Length == 0)
            {
                continue;
            }

            if (section is not { } found)
            {
                appended.Append('*').Append(table).Append('\n').Append(chains).Append(jumps).Append("COMMIT\n");
                continue;
            }

            // Where both land on the same spot (a section without rules), the declarations come first.
            inserts.Add((found.AfterDeclarations, chains.ToString()));
            inserts.Add((found.Commit, jumps.ToString()));
        }

        // One copy of the (megabytes long) payload: the pieces go straight into the result.
        inserts = [.. inserts.OrderBy(i => i.At)]; // stable: declarations before jumps at one spot
        var tail = payload.Length > 0 && payload[^1] != '\n' ? "\n" : "";
        var extra = appended.ToString();
        var length = payload.Length + inserts.Sum(i => i.Text.Length) + tail.Length + extra.Length;
        return string.Create(length, (payload, inserts, tail, extra), static (span, state) =>
        {
            var (payload, inserts, tail, extra) = state;
            var copied = 0;
            var written = 0;
            foreach (var (at, text) in inserts)
            {
                payload.AsSpan(copied, at - copied).CopyTo(span[written..]);
                written += at - copied;
                text.CopyTo(span[written..]);
                written += text.Length;
                copied = at;
            }

            payload.AsSpan(copied).CopyTo(span[written..]);
            written += payload.Length - copied;
            tail.CopyTo(span[written..]);
            extra.CopyTo(span[(written + tail.Length)..]);
        });
    }

    /// <summary>Offsets in a payload of one table's section: its <c>*table</c> line, the line after its leading chain declarations, and its COMMIT line.</summary>
    private readonly record struct SectionBounds(int Header, int AfterDeclarations, int Commit);

    private static SectionBounds? Section(string payload, string table)
    {
        var header = LineStart(payload, "*" + table, 0);
        if (header < 0)
        {
            return null;
        }

        var body = Math.Min(header + table.Length + 2, payload.Length);
        var commit = LineStart(payload, "COMMIT", body);
        if (commit < 0)
        {
            throw new ArgumentException($"the payload's *{table} section has no COMMIT");
        }

        var afterDeclarations = body;
        while (afterDeclarations < commit && payload[afterDeclarations] == ':')
        {
            afterDeclarations = payload.IndexOf('\n', afterDeclarations) + 1;
        }

        return new SectionBounds(header, afterDeclarations, commit);
    }

    /// <summary>The chains a payload section declares (<c>:NAME ...</c> lines anywhere in it).</summary>
    private static HashSet<string> Declared(string payload, SectionBounds section)
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var lines = payload.AsSpan(section.Header, section.Commit - section.Header);
        foreach (var line in lines.EnumerateLines())
        {
            if (line.StartsWith(':'))
            {
                var end = line.IndexOf(' ');
                declared.Add((end < 0 ? line[1..] : line[1..end]).ToString());
            }
        }

        return declared;
    }

    /// <summary>The offset of the first whole line equal to <paramref name="line"/> at or after <paramref name="from"/> (a line start), or -1.</summary>
    private static int LineStart(string payload, string line, int from)
    {
        for (var at = payload.IndexOf(line, from, StringComparison.Ordinal); at >= 0; at = payload.IndexOf(line, at + 1, StringComparison.Ordinal))
        {
            var end = at + line.Length;
            if ((at == 0 || payload[at - 1] == '\n') && (end == payload.Length || payload[end] == '\n'))
            {
                return at;
            }
        }

        return -1;
    }

    /// <summary>An argument as iptables-save prints it: quoted when it holds a space.</summary>
    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? $"\"{arg}\"" : arg;
}
