namespace Strata.Agent.Agnhost;

/// <summary>agnhost's dns-suffix and dns-server-list: the first <c>search</c> and <c>nameserver</c> lines of resolv.conf.</summary>
public static class DnsInfo
{
    public const string ResolvConf = "/etc/resolv.conf";
    public const string EtcHosts = "/etc/hosts";

    /// <summary>The words after <c>search</c> on its first line (split on single spaces, as upstream), or null.</summary>
    public static IReadOnlyList<string>? SearchList(string resolvConf) => Words(resolvConf, "search");

    /// <summary>The words after <c>nameserver</c> on its first line, or null.</summary>
    public static IReadOnlyList<string>? ServerList(string resolvConf) => Words(resolvConf, "nameserver");

    private static string[]? Words(string text, string keyword)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(keyword, StringComparison.Ordinal))
            {
                return line.Split(' ')[1..];
            }
        }

        return null;
    }
}
