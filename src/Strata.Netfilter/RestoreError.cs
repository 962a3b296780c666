using System.Text;
using System.Text.RegularExpressions;

namespace Strata.Netfilter;

/// <summary>
/// Reads iptables-restore's complaint. The legacy backend says <c>iptables-restore: line N failed</c>, the nf_tables
/// one <c>Error occurred at line: N</c> (often the COMMIT line, as nft checks a table when it commits it); upstream's
/// pkg/util/iptables turns either into a ParseError and kube-proxy logs the lines around it (ExtractLines).
/// </summary>
public static partial class RestoreError
{
    public static IptablesRestoreException Describe(string payload, CommandResult result)
    {
        var stderr = result.Stderr.Trim();
        var reason = stderr.Split('\n').Select(l => l.Trim())
            .FirstOrDefault(l => l.Length > 0 && !LinePattern().IsMatch(l) && !l.StartsWith("Try `", StringComparison.Ordinal)) ?? "";
        var match = LinePattern().Match(stderr);
        if (!match.Success)
        {
            return new IptablesRestoreException($"iptables-restore failed (exit {result.ExitCode}): {stderr}", null, null, result.Stderr);
        }

        var number = int.Parse(match.Groups["a"].Success ? match.Groups["a"].Value : match.Groups["b"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var lines = payload.Split('\n');
        var line = number >= 1 && number <= lines.Length ? lines[number - 1] : null;
        var message = new StringBuilder("iptables-restore failed at line ").Append(number);
        if (line is not null)
        {
            message.Append(": \"").Append(line).Append('"');
        }

        if (reason.Length > 0)
        {
            message.Append(": ").Append(reason);
        }

        message.Append(Context(lines, number));
        return new IptablesRestoreException(message.ToString(), number, line, result.Stderr);
    }

    /// <summary>The three lines either side, numbered, as kube-proxy logs them.</summary>
    private static string Context(string[] lines, int number)
    {
        var text = new StringBuilder();
        for (var i = Math.Max(1, number - 3); i <= Math.Min(lines.Length, number + 3); i++)
        {
            text.Append('\n').Append(i == number ? "> " : "  ").Append(i).Append(": ").Append(lines[i - 1]);
        }

        return text.ToString();
    }

    [GeneratedRegex(@"line (?<a>\d+) failed|Error occurred at line: (?<b>\d+)")]
    private static partial Regex LinePattern();
}
