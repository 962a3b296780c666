using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Proxy.Iptables;

/// <summary>
/// An iptables-save / iptables-restore text parsed into tables, chains and rules, with upstream's canonical order
/// (sortIPTablesRules in pkg/proxy/iptables/proxier_test.go): it removes the dependence on the order Services were
/// visited in while keeping related rules in order, and it zeroes the counters. Upstream's own golden tests compare
/// in this form.
/// </summary>
public sealed partial class IptablesDump
{
    private IptablesDump(List<Table> tables) => Tables = tables;

    public IReadOnlyList<Table> Tables { get; }

    public sealed record Table(string Name, List<Chain> Chains, List<string> Deletions);

    public sealed record Chain(string Name, string Policy, List<string> Rules);

    public static IptablesDump Parse(string text)
    {
        var tables = new List<Table>();
        Table? current = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith('*'))
            {
                current = new Table(line[1..], [], []);
                tables.Add(current);
                continue;
            }

            if (current is null)
            {
                throw new FormatException($"line {lineNumber}: \"{line}\" comes before any *table line");
            }

            if (line == "COMMIT")
            {
                current = null;
            }
            else if (line.StartsWith(':'))
            {
                var parts = line[1..].Split(' ');
                var name = parts[0];
                if (current.Chains.All(c => c.Name != name))
                {
                    current.Chains.Add(new Chain(name, parts.Length > 1 ? parts[1] : "-", []));
                }
            }
            else if (line.StartsWith("-A ", StringComparison.Ordinal))
            {
                var name = line[3..].Split(' ', 2)[0];
                var chain = current.Chains.FirstOrDefault(c => c.Name == name)
                    ?? throw new FormatException($"line {lineNumber}: rule for chain {name}, which is not declared in table {current.Name}");
                chain.Rules.Add(line);
            }
            else if (line.StartsWith("-X ", StringComparison.Ordinal))
            {
                current.Deletions.Add(line);
            }
            else
            {
                throw new FormatException($"line {lineNumber}: cannot parse \"{line}\"");
            }
        }

        return new IptablesDump(tables);
    }

    /// <summary>Parses and puts in upstream's canonical order (the form its tests' expectations are written in).</summary>
    public static string Canonical(string text) => Parse(text).Sorted().ToString();

    public IptablesDump Sorted()
    {
        var tables = Tables.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => t with { Chains = [.. t.Chains.Select(c => c with { Rules = [.. c.Rules] }).OrderBy(c => c, ChainOrder.Instance)] })
            .ToList();
        foreach (var table in tables)
        {
            foreach (var chain in table.Chains)
            {
                if (chain.Name is ChainNames.NodePorts || (chain.Name == ChainNames.Services && table.Name == "filter"))
                {
                    SortStable(chain.Rules, (a, b) => ByServiceName(a, b));
                }
                else if (chain.Name == ChainNames.Services && table.Name == "nat")
                {
                    SortStable(chain.Rules, (a, b) =>
                        IsLast(a) && !IsLast(b) ? 1 : IsLast(b) && !IsLast(a) ? -1 : ByServiceName(a, b));
                }
            }
        }

        return new IptablesDump(tables);

        static bool IsLast(string rule) => Comment(rule)?.Contains("must be the last rule", StringComparison.Ordinal) == true;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var table in Tables)
        {
            text.Append('*').Append(table.Name).Append('\n');
            foreach (var chain in table.Chains)
            {
                text.Append(':').Append(chain.Name).Append(' ').Append(chain.Policy).Append(" [0:0]\n");
            }

            foreach (var chain in table.Chains)
            {
                foreach (var rule in chain.Rules)
                {
                    text.Append(rule).Append('\n');
                }
            }

            foreach (var deletion in table.Deletions)
            {
                text.Append(deletion).Append('\n');
            }

            text.Append("COMMIT\n");
        }

        return text.ToString();
    }

    /// <summary>The value of a rule's <c>--comment</c>, unquoted.</summary>
    public static string? Comment(string rule)
    {
        var match = CommentPattern().Match(rule);
        return !match.Success ? null : match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
    }

    /// <summary>Orders by the Service name a comment starts with (up to the first space or colon); rules without one tie.</summary>
    private static int ByServiceName(string a, string b)
    {
        if (Comment(a) is not { } ca || Comment(b) is not { } cb)
        {
            return 0;
        }

        return string.CompareOrdinal(Cut(ca), Cut(cb));

        static string Cut(string comment) => comment.IndexOfAny([' ', ':']) is var i and >= 0 ? comment[..i] : comment;
    }

    private static void SortStable(List<string> rules, Comparison<string> comparison)
    {
        var sorted = rules.Select((rule, index) => (rule, index))
            .OrderBy(x => x, Comparer<(string Rule, int Index)>.Create((x, y) => comparison(x.Rule, y.Rule) is var c and not 0 ? c : x.Index.CompareTo(y.Index)))
            .Select(x => x.rule)
            .ToList();
        rules.Clear();
        rules.AddRange(sorted);
    }

    [GeneratedRegex("--comment (?:\"([^\"]*)\"|(\\S+))")]
    private static partial Regex CommentPattern();

    /// <summary>KUBE-NODEPORTS, then KUBE-SERVICES, then other KUBE-* chains, then the rest, each group alphabetical.</summary>
    private sealed class ChainOrder : IComparer<Chain>
    {
        public static readonly ChainOrder Instance = new();

        public int Compare(Chain? x, Chain? y) => Rank(x!.Name) != Rank(y!.Name)
            ? Rank(x.Name).CompareTo(Rank(y.Name))
            : string.CompareOrdinal(x.Name, y.Name);

        private static int Rank(string name) => name switch
        {
            ChainNames.NodePorts => 0,
            ChainNames.Services => 1,
            _ when name.StartsWith("KUBE-", StringComparison.Ordinal) => 2,
            _ => 3,
        };
    }
}
