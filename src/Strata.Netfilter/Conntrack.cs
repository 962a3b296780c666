using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Strata.Netfilter;

/// <summary>
/// One <c>conntrack -D</c> filter, as upstream's pkg/proxy/conntrack (ClearEntriesForIP, ClearEntriesForNAT,
/// ClearEntriesForPortNAT): flows of a protocol to an original destination and/or a port, optionally only those DNATed
/// to one endpoint.
/// </summary>
public sealed record ConntrackFilter(string Protocol, IPAddress? OriginalDestination = null, int OriginalPort = 0, IPAddress? DnatTo = null)
{
    public IReadOnlyList<string> Arguments()
    {
        List<string> args = ["-D"];
        if (OriginalDestination is not null)
        {
            args.AddRange(["--orig-dst", OriginalDestination.ToString()]);
        }

        if (DnatTo is not null)
        {
            args.AddRange(["--dst-nat", DnatTo.ToString()]);
        }

        args.AddRange(["-p", Protocol.ToLowerInvariant()]);
        if (OriginalPort != 0)
        {
            args.AddRange(["--dport", OriginalPort.ToString(CultureInfo.InvariantCulture)]);
        }

        var family = (OriginalDestination ?? DnatTo)?.AddressFamily;
        if (family == AddressFamily.InterNetworkV6)
        {
            args.AddRange(["-f", "ipv6"]);
        }

        return args;
    }

    public override string ToString() => "conntrack " + string.Join(' ', Arguments());
}

/// <summary>The conntrack tool (conntrack-tools); only deletions, for UDP endpoints that went away.</summary>
public sealed partial class Conntrack(NetfilterCommand command)
{
    public Conntrack(string? netnsPath = null)
        : this(new NetfilterCommand(netnsPath))
    {
    }

    /// <summary>Deletes the matching flows and returns how many; none matching is not an error (upstream's NoConnectionToDelete).</summary>
    public int Delete(ConntrackFilter filter)
    {
        var args = filter.Arguments();
        var result = command.Run("conntrack", args);
        var text = result.Stderr + result.Stdout;
        var match = DeletedPattern().Match(text);
        if (result.ExitCode != 0 && !(match.Success && match.Groups[1].Value == "0"))
        {
            throw new InvalidOperationException($"conntrack {string.Join(' ', args)} failed (exit {result.ExitCode}): {text.Trim()}");
        }

        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"(\d+) flow entries have been deleted")]
    private static partial Regex DeletedPattern();
}
