using System.Diagnostics;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Iptables;

/// <summary>
/// Applies <see cref="IptablesChain"/>s with the <c>iptables</c>/<c>ip6tables</c> commands, as
/// go-iptables does for upstream's plugins: <c>-w</c> to wait for the xtables lock, <c>-C</c> to
/// test a rule, so setup is idempotent (pkg/utils/iptables.go, InsertUnique and EnsureChain).
/// </summary>
public sealed class IptablesDriver(bool ipv6)
{
    private string Command => ipv6 ? "ip6tables" : "iptables";

    public void Setup(IptablesChain chain)
    {
        EnsureChain(chain.Table, chain.Name);
        foreach (var rule in chain.Rules)
        {
            InsertUnique(chain.Table, chain.Name, prepend: false, rule);
        }

        foreach (string entryChain in chain.EntryChains)
        {
            foreach (var rule in chain.EntryRulesWithJump)
            {
                InsertUnique(chain.Table, entryChain, chain.PrependEntry, rule);
            }
        }
    }

    /// <summary>Removes the entry rules and the chain; a chain that does not exist is not an error.</summary>
    public void Teardown(IptablesChain chain)
    {
        if (!ChainExists(chain.Table, chain.Name))
        {
            return;
        }

        foreach (string entryChain in chain.EntryChains)
        {
            foreach (var rule in chain.EntryRulesWithJump)
            {
                while (Exists(chain.Table, entryChain, rule))
                {
                    Run(["-t", chain.Table, "-D", entryChain, .. rule]);
                }
            }

            // Jumps left by another configuration (other entry rules) would keep the chain alive.
            foreach (string line in List(chain.Table, entryChain).Where(l => l.EndsWith($" -j {chain.Name}", StringComparison.Ordinal)))
            {
                Run(["-t", chain.Table, .. SplitRule(line.Replace($"-A {entryChain} ", $"-D {entryChain} ", StringComparison.Ordinal))]);
            }
        }

        Run(["-t", chain.Table, "-F", chain.Name]);
        Run(["-t", chain.Table, "-X", chain.Name]);
    }

    /// <summary>Throws with upstream's wording if the chain or any of its rules is missing.</summary>
    public void Check(IptablesChain chain)
    {
        if (!ChainExists(chain.Table, chain.Name))
        {
            throw new CniException(CniErrorCode.Internal, $"chain {chain.Name} not found in iptables table {chain.Table}");
        }

        foreach (var rule in chain.Rules.Where(r => !Exists(chain.Table, chain.Name, r)))
        {
            throw new CniException(CniErrorCode.Internal, $"rule {string.Join(' ', rule)} in chain {chain.Name} not found in table {chain.Table}");
        }

        foreach (string entryChain in chain.EntryChains)
        {
            foreach (var rule in chain.EntryRulesWithJump.Where(r => !Exists(chain.Table, entryChain, r)))
            {
                throw new CniException(CniErrorCode.Internal, $"rule {string.Join(' ', rule)} in chain {entryChain} not found in table {chain.Table}");
            }
        }
    }

    public bool ChainExists(string table, string chain) => Execute(["-t", table, "-S", chain]).ExitCode == 0;

    public IReadOnlyList<string> List(string table, string chain)
    {
        var (code, stdout, _) = Execute(["-t", table, "-S", chain]);
        return code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];
    }

    /// <summary>Creates the chain unless it exists; another plugin process creating it first is fine (utils.EnsureChain).</summary>
    private void EnsureChain(string table, string chain)
    {
        if (!ChainExists(table, chain))
        {
            var (code, _, stderr) = Execute(["-t", table, "-N", chain]);
            if (code != 0 && !stderr.Contains("Chain already exists", StringComparison.Ordinal))
            {
                throw new CniException(CniErrorCode.Internal, $"running [{Command} -w -t {table} -N {chain}]: exit status {code}: {stderr.Trim()}");
            }
        }
    }

    private void InsertUnique(string table, string chain, bool prepend, IReadOnlyList<string> rule)
    {
        if (!Exists(table, chain, rule))
        {
            Run(prepend ? ["-t", table, "-I", chain, "1", .. rule] : ["-t", table, "-A", chain, .. rule]);
        }
    }

    /// <summary><c>-C</c> exits 1 when the rule is absent; anything else non-zero is a real failure.</summary>
    private bool Exists(string table, string chain, IReadOnlyList<string> rule)
    {
        var (code, _, stderr) = Execute(["-t", table, "-C", chain, .. rule]);
        return code switch
        {
            0 => true,
            1 => false,
            _ when stderr.Contains("does not exist", StringComparison.Ordinal) || stderr.Contains("No chain", StringComparison.Ordinal) => false,
            _ => throw new CniException(CniErrorCode.Internal, $"{Command} -t {table} -C {chain} {string.Join(' ', rule)}: {stderr.Trim()}"),
        };
    }

    private void Run(IReadOnlyList<string> args)
    {
        var (code, _, stderr) = Execute(args);
        if (code != 0)
        {
            throw new CniException(CniErrorCode.Internal, $"running [{Command} -w {string.Join(' ', args)}]: exit status {code}: {stderr.Trim()}");
        }
    }

    private (int ExitCode, string Stdout, string Stderr) Execute(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(Command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-w");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new CniException(CniErrorCode.Internal, $"cannot run {Command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Splits an <c>iptables -S</c> line into arguments, honouring double quotes (comments).</summary>
    internal static List<string> SplitRule(string line)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && quoted && i + 1 < line.Length)
            {
                current.Append(line[++i]);
            }
            else if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any || current.Length > 0)
                {
                    parts.Add(current.ToString());
                }

                current.Clear();
                any = false;
            }
            else
            {
                current.Append(c);
            }
        }

        if (any || current.Length > 0)
        {
            parts.Add(current.ToString());
        }

        return parts;
    }
}
