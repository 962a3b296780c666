using System.Diagnostics;

namespace Strata.Netfilter;

/// <summary>What a netfilter tool printed and how it exited.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the netfilter userspace tools (iptables-restore, iptables-save, iptables, conntrack), in the caller's network
/// namespace or, with <see cref="NetnsPath"/>, in another one through <c>nsenter --net</c>.
/// </summary>
public sealed class NetfilterCommand(string? netnsPath = null)
{
    /// <summary>The tools finish in milliseconds; one that hangs (a held xtables lock without -w) must not hang a sync.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string? NetnsPath { get; } = netnsPath;

    public CommandResult Run(string program, IReadOnlyList<string> args, string? stdin = null)
    {
        var start = new ProcessStartInfo(NetnsPath is null ? program : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (NetnsPath is not null)
        {
            start.ArgumentList.Add($"--net={NetnsPath}");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(program);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {Timeout.TotalSeconds:0} s");
        }

        return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
