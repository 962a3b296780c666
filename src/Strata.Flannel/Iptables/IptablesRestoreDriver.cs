using System.Diagnostics;

namespace Strata.Flannel.Iptables;

/// <summary>
/// Runs <c>iptables-save</c> and <c>iptables-restore --noflush -w</c>, in the current network namespace or, given a
/// name, inside that named one (<c>ip netns exec</c>). Minimal and self-contained: the one place the flannel role
/// touches netfilter, so it can be swapped for Strata.Netfilter's driver.
/// </summary>
public sealed class IptablesRestoreDriver(string? netnsName = null)
{
    public string Save(string table) => Run(["iptables-save", "-t", table], stdin: null);

    public void Restore(string payload) => Run(["iptables-restore", "--noflush", "-w"], payload);

    private string Run(string[] command, string? stdin)
    {
        string[] argv = netnsName is null ? command : ["ip", "netns", "exec", netnsName, .. command];
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {argv[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{string.Join(' ', command)} did not finish in 30 s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited {process.ExitCode}: {stderr.Result.Trim()}" +
                (stdin is null ? "" : $"\npayload:\n{stdin}"));
        }

        return stdout.Result;
    }
}
