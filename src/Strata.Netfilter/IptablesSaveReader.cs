namespace Strata.Netfilter;

/// <summary>Reads iptables-save output (upstream's utiliptables.GetChainsFromTable).</summary>
public static class IptablesSaveReader
{
    /// <summary>The chains declared (<c>:NAME POLICY [p:b]</c>) in one table of an iptables-save text.</summary>
    public static IReadOnlySet<string> Chains(string save, string table)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        var inTable = false;
        foreach (var raw in save.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('*'))
            {
                inTable = line[1..] == table;
            }
            else if (line == "COMMIT")
            {
                inTable = false;
            }
            else if (inTable && line.StartsWith(':'))
            {
                var end = line.IndexOf(' ', StringComparison.Ordinal);
                chains.Add(end < 0 ? line[1..] : line[1..end]);
            }
        }

        return chains;
    }

    /// <summary>The <c>-A CHAIN ...</c> lines of one chain, in order.</summary>
    public static IReadOnlyList<string> Rules(string save, string table, string chain)
    {
        var rules = new List<string>();
        var inTable = false;
        var prefix = $"-A {chain} ";
        foreach (var raw in save.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('*'))
            {
                inTable = line[1..] == table;
            }
            else if (inTable && line.StartsWith(prefix, StringComparison.Ordinal))
            {
                rules.Add(line);
            }
        }

        return rules;
    }
}
