using System.Runtime.CompilerServices;

namespace Strata.Netfilter;

/// <summary>
/// One iptables-save text of any number of tables, read in one pass: the chains each table declares and the rules of the
/// chains asked for. A table the text does not hold has no chains and no rules, which is also what a table not yet
/// instantiated in a network namespace means (iptables-save without <c>-t</c> prints only the instantiated ones).
/// </summary>
public sealed class SavedTables
{
    private static readonly IReadOnlySet<string> NoChains = new HashSet<string>(StringComparer.Ordinal);

    private readonly Dictionary<string, HashSet<string>> _chains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _rules = new(StringComparer.Ordinal);

    private SavedTables()
    {
    }

    /// <summary>The tables the text holds, in its order.</summary>
    public IReadOnlyList<string> Tables { get; private set; } = [];

    /// <summary>
    /// Reads <paramref name="save"/>. Only the <c>-A</c> lines of <paramref name="ruleChains"/> are kept (a whole nat table
    /// can hold hundreds of thousands of rules; callers look up a few in the built-in chains).
    /// </summary>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SavedTables Parse(string save, IEnumerable<string> ruleChains)
    {
        var wanted = new HashSet<string>(ruleChains, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        var saved = new SavedTables();
        var tables = new List<string>();
        HashSet<string>? chains = null;
        HashSet<string>? rules = null;
        foreach (var raw in save.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            switch (line[0])
            {
                case '*':
                    var table = line[1..].ToString();
                    tables.Add(table);
                    chains = GetOrAdd(saved._chains, table);
                    rules = GetOrAdd(saved._rules, table);
                    break;
                case ':' when chains is not null:
                    var end = line.IndexOf(' ');
                    chains.Add((end < 0 ? line[1..] : line[1..end]).ToString());
                    break;
                case '-' when rules is not null && line.StartsWith("-A ", StringComparison.Ordinal):
                    var chain = line[3..];
                    var space = chain.IndexOf(' ');
                    chain = space < 0 ? chain : chain[..space];
                    if (wanted.Contains(chain))
                    {
                        rules.Add(line.ToString());
                    }

                    break;
                default:
                    if (line.SequenceEqual("COMMIT"))
                    {
                        chains = null;
                        rules = null;
                    }

                    break;
            }
        }

        saved.Tables = tables;
        return saved;
    }

    /// <summary>The chains <paramref name="table"/> declares (built-in ones included).</summary>
    public IReadOnlySet<string> Chains(string table) => _chains.TryGetValue(table, out var chains) ? chains : NoChains;

    /// <summary>Whether <paramref name="table"/> holds <paramref name="rule"/> (<c>-A CHAIN ...</c> as iptables-save prints it) in one of the chains read.</summary>
    public bool HasRule(string table, string rule) => _rules.TryGetValue(table, out var rules) && rules.Contains(rule);

    private static HashSet<string> GetOrAdd(Dictionary<string, HashSet<string>> map, string table)
    {
        if (!map.TryGetValue(table, out var set))
        {
            set = new HashSet<string>(StringComparer.Ordinal);
            map[table] = set;
        }

        return set;
    }
}
