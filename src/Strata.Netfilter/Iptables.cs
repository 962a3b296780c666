namespace Strata.Netfilter;

public enum RulePosition
{
    Prepend,
    Append,
}

/// <summary>
/// iptables through its own tools, as upstream's pkg/util/iptables runner: <c>-w</c> everywhere (wait for the xtables
/// lock, /run/xtables.lock, rather than fail), whole tables through <c>iptables-restore --noflush</c> from stdin.
/// </summary>
/// <param name="command">Where the tools run.</param>
/// <param name="ipv6">ip6tables instead of iptables.</param>
/// <param name="backend">null for the system's <c>iptables</c>, or <c>legacy</c>/<c>nft</c> for <c>iptables-legacy</c>/<c>iptables-nft</c>.</param>
public sealed class Iptables(NetfilterCommand command, bool ipv6 = false, string? backend = null)
{
    public Iptables(string? netnsPath = null, bool ipv6 = false, string? backend = null)
        : this(new NetfilterCommand(netnsPath), ipv6, backend)
    {
    }

    private string Tool => (ipv6 ? "ip6tables" : "iptables") + (backend is null ? "" : "-" + backend);

    /// <summary>
    /// Loads a payload in one transaction. <paramref name="noFlush"/> keeps the chains the payload does not declare (a
    /// declared chain is flushed and refilled). On failure nothing changed, and the exception names the offending line.
    /// </summary>
    public void Restore(string payload, bool noFlush = true, bool counters = false)
    {
        List<string> args = ["-w"];
        if (noFlush)
        {
            args.Add("--noflush");
        }

        if (counters)
        {
            args.Add("--counters");
        }

        var result = command.Run(Companion("restore"), args, payload);
        if (result.ExitCode != 0)
        {
            throw RestoreError.Describe(payload, result);
        }
    }

    /// <summary><c>iptables-save -t TABLE</c>.</summary>
    public string Save(string table)
    {
        var result = command.Run(Companion("save"), ["-t", table]);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"{Companion("save")} -t {table} failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
    }

    /// <summary>
    /// <c>iptables-save</c> of every table, in one process. With the legacy backend a table that nothing has used in the
    /// namespace yet is not instantiated and not printed (where <c>-t TABLE</c> would instantiate it empty).
    /// </summary>
    public string SaveAll()
    {
        var result = command.Run(Companion("save"), []);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"{Companion("save")} failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
    }

    public bool ChainExists(string table, string chain) => command.Run(Tool, ["-w", "-t", table, "-S", chain]).ExitCode == 0;

    /// <summary>Creates the chain unless it exists; true if it existed.</summary>
    public bool EnsureChain(string table, string chain)
    {
        if (ChainExists(table, chain))
        {
            return true;
        }

        Check(["-w", "-t", table, "-N", chain]);
        return false;
    }

    /// <summary>Adds the rule unless an identical one is there (<c>-C</c>); true if it existed.</summary>
    public bool EnsureRule(RulePosition position, string table, string chain, IReadOnlyList<string> rule)
    {
        var probe = command.Run(Tool, ["-w", "-t", table, "-C", chain, .. rule]);
        if (probe.ExitCode == 0)
        {
            return true;
        }

        if (probe.ExitCode != 1)
        {
            throw new InvalidOperationException($"{Tool} -t {table} -C {chain} {string.Join(' ', rule)}: {probe.Stderr.Trim()}");
        }

        Check(position == RulePosition.Prepend ? ["-w", "-t", table, "-I", chain, .. rule] : ["-w", "-t", table, "-A", chain, .. rule]);
        return false;
    }

    /// <summary>Removes the rule if present; true if it was.</summary>
    public bool DeleteRule(string table, string chain, IReadOnlyList<string> rule)
    {
        if (command.Run(Tool, ["-w", "-t", table, "-C", chain, .. rule]).ExitCode != 0)
        {
            return false;
        }

        Check(["-w", "-t", table, "-D", chain, .. rule]);
        return true;
    }

    /// <summary>iptables-restore, iptables-legacy-restore, ip6tables-nft-save...</summary>
    private string Companion(string verb) => Tool + "-" + verb;

    private void Check(IReadOnlyList<string> args)
    {
        var result = command.Run(Tool, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Tool} {string.Join(' ', args)} failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
        }
    }
}
