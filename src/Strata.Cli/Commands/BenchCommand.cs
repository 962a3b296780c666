using System.CommandLine;
using Strata.Bench;

namespace Strata.Cli.Commands;

/// <summary><c>strata bench NAME</c>: macro benchmarks, each measuring the reference tool and Strata side by side.</summary>
internal static class BenchCommand
{
    public static Command Build()
    {
        var command = new Command("bench", "Run a benchmark against its reference tool, side by side, and print the ratio.");
        var json = new Option<bool>("--json") { Description = "Print one JSON object (with a field 'ratio' = strata / reference) instead of the table." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Also write the JSON object to this file." };
        var pairs = new Option<int>("--pairs") { Description = "veth pairs per run.", DefaultValueFactory = _ => 1000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per side; each phase reports the median.", DefaultValueFactory = _ => 3 };
        var netlink = new Command("netlink", "Create 1,000 veth pairs with an address and a route each, then delete them: Strata's library vs 'ip -batch'.")
        {
            json, output, pairs, rounds,
        };
        netlink.SetAction(result => CommandErrors.Run(() =>
        {
            RequireRoot("bench netlink");
            var benchmark = new NetlinkBenchmark(result.GetValue(pairs), result.GetValue(rounds));
            var report = Progress.Run("bench netlink", benchmark.Run);
            Write(report, result.GetValue(json), result.GetValue(output));
            return 0;
        }));
        command.Subcommands.Add(netlink);
        return command;
    }

    internal static void RequireRoot(string command)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new IOException($"{command} needs root: it creates network namespaces (try: sudo strata {command})");
        }
    }

    private static void Write(BenchmarkReport report, bool json, FileInfo? output)
    {
        Console.Out.Write(json ? report.ToJson() : report.ToText());
        if (output is not null)
        {
            File.WriteAllText(output.FullName, report.ToJson());
        }
    }
}
