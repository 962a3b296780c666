using System.Diagnostics;
using System.Net;
using System.Text;
using Strata.Netlink;

namespace Strata.Bench;

/// <summary>
/// <c>strata bench netlink</c>: N veth pairs, each with an address and a route, created and then
/// deleted in a scratch namespace, by iproute2's <c>ip -batch</c> and by Strata's library. Both
/// sides do the same kernel operations: <c>link add … up group G type veth peer …</c>,
/// <c>addr add</c>, <c>route add … via … dev …</c>, then one <c>link del group G</c> (deleting
/// links one by one is kernel-bound either way; see shared/notes/netfilter-scaling.md).
/// </summary>
public sealed class NetlinkBenchmark
{
    private const uint Group = 77;

    public NetlinkBenchmark(int pairs = 1000, int rounds = 3)
    {
        if (pairs is < 1 or > 60000)
        {
            throw new ArgumentOutOfRangeException(nameof(pairs), pairs, "pairs must be 1-60000");
        }

        if (rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds must be at least 1");
        }

        Pairs = pairs;
        Rounds = rounds;
    }

    public int Pairs { get; }

    public int Rounds { get; }

    public BenchmarkReport Run(IProgress<string>? progress = null)
    {
        var reference = new List<(double Create, double Delete)>();
        var strata = new List<(double Create, double Delete)>();
        string batch = Path.Combine(Path.GetTempPath(), $"strata-bench-netlink-{Environment.ProcessId}.batch");
        File.WriteAllText(batch, BatchScript());
        try
        {
            for (int round = 1; round <= Rounds; round++)
            {
                // Alternate which side goes first, so drift on a shared machine hits both alike.
                bool referenceFirst = round % 2 == 1;
                for (int side = 0; side < 2; side++)
                {
                    bool isReference = (side == 0) == referenceFirst;
                    progress?.Report($"round {round}/{Rounds}: {(isReference ? "ip -batch" : "strata")}, {Pairs} veth pairs");
                    if (isReference)
                    {
                        reference.Add(InScratchNamespace(ns => MeasureReference(ns, batch)));
                    }
                    else
                    {
                        strata.Add(InScratchNamespace(MeasureStrata));
                    }
                }
            }
        }
        finally
        {
            File.Delete(batch);
        }

        return new BenchmarkReport(
            "netlink",
            $"{Pairs} veth pairs, each with an address and a route, created then deleted (link del group)",
            $"ip -batch ({IpVersion()})",
            Rounds,
            [
                new PhaseResult("create", BenchmarkReport.Median(reference.Select(r => r.Create)), BenchmarkReport.Median(strata.Select(r => r.Create))),
                new PhaseResult("delete", BenchmarkReport.Median(reference.Select(r => r.Delete)), BenchmarkReport.Median(strata.Select(r => r.Delete))),
            ]);
    }

    internal string BatchScript()
    {
        var script = new StringBuilder();
        for (int i = 0; i < Pairs; i++)
        {
            var (address, gateway, destination) = Addresses(i);
            script.Append($"link add sv{i} up group {Group} type veth peer name sp{i}\n");
            script.Append($"addr add {address} dev sv{i}\n");
            script.Append($"route add {destination} via {gateway} dev sv{i}\n");
        }

        return script.ToString();
    }

    /// <summary>Pair i gets 10.a.b.c/30 on its host end and a /32 route via the .2 of that /30, from 10.128.0.0/9.</summary>
    internal static (IpPrefix Address, IPAddress Gateway, IpPrefix Destination) Addresses(int i)
    {
        int block = i * 4;
        var address = new IPAddress(new byte[] { 10, (byte)(block >> 16 & 0x7f), (byte)(block >> 8), (byte)(block | 1) });
        var gateway = new IPAddress(new byte[] { 10, (byte)(block >> 16 & 0x7f), (byte)(block >> 8), (byte)(block | 2) });
        var destination = new IPAddress(new byte[] { 10, (byte)(0x80 | i >> 16), (byte)(i >> 8), (byte)i });
        return (new IpPrefix(address, 30), gateway, new IpPrefix(destination, 32));
    }

    private (double Create, double Delete) MeasureStrata(NetworkNamespace ns)
    {
        using var nl = Rtnetlink.Open(ns);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Pairs; i++)
        {
            var (address, gateway, destination) = Addresses(i);
            int index = nl.AddLink(new VethSpec($"sv{i}", $"sp{i}") { Group = Group, Up = true });
            nl.AddAddress(index, address);
            nl.AddRoute(new Route(destination) { Gateway = gateway, OutIndex = index });
        }

        double create = clock.Elapsed.TotalSeconds;
        Verify(ns, 2 * Pairs + 1, "strata create");
        clock.Restart();
        nl.DeleteLinkGroup(Group);
        double delete = clock.Elapsed.TotalSeconds;
        Verify(ns, 1, "strata delete");
        return (create, delete);
    }

    private (double Create, double Delete) MeasureReference(NetworkNamespace ns, string batch)
    {
        var clock = Stopwatch.StartNew();
        RunIp("-n", ns.Name, "-batch", batch);
        double create = clock.Elapsed.TotalSeconds;
        Verify(ns, 2 * Pairs + 1, "ip -batch create");
        clock.Restart();
        RunIp("-n", ns.Name, "link", "del", "group", Group.ToString());
        double delete = clock.Elapsed.TotalSeconds;
        Verify(ns, 1, "ip link del group");
        return (create, delete);
    }

    /// <summary>Both sides must have done the same work: count the links (outside the timed part).</summary>
    private static void Verify(NetworkNamespace ns, int expectedLinks, string step)
    {
        using var nl = Rtnetlink.Open(ns);
        int links = nl.GetLinks().Count;
        if (links != expectedLinks)
        {
            throw new InvalidOperationException($"{step}: expected {expectedLinks} links in {ns.Name}, found {links}");
        }
    }

    private static T InScratchNamespace<T>(Func<NetworkNamespace, T> measure)
    {
        string name = $"strata-bench-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            using var ns = NetworkNamespace.Create(name);
            return measure(ns);
        }
        finally
        {
            if (NetworkNamespace.Exists(name))
            {
                NetworkNamespace.Delete(name);
            }
        }
    }

    private static string RunIp(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip");
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Trim()}");
        }

        return stdout;
    }

    private static string IpVersion()
    {
        try
        {
            return RunIp("-V").Trim().Replace("ip utility, ", string.Empty).Split(',')[0];
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "iproute2";
        }
    }
}
