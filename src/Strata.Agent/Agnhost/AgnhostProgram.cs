using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Strata.Agent.Agnhost;

/// <summary>
/// <c>strata agnhost SUBCOMMAND [flags]</c>: Strata's reimplementation of the agnhost test image's subcommands
/// (kubernetes test/images/agnhost), with upstream's flags, defaults, endpoints and output.
/// </summary>
public static class AgnhostProgram
{
    private static readonly (string Name, string Short)[] Subcommands =
    [
        ("dns-server-list", "Prints the host's DNS Server list"),
        ("dns-suffix", "Prints the host's DNS suffix list"),
        ("etc-hosts", "Prints the host's /etc/hosts file"),
        ("netexec", "Creates HTTP(S) and UDP servers with various endpoints"),
        ("pause", "Pauses the execution"),
        ("pause-image", "Strata's stand-in for registry.k8s.io/pause: waits for SIGTERM or SIGINT, then exits 0"),
        ("serve-hostname", "Serves the hostname"),
    ];

    /// <summary>Runs a subcommand to its end; the process's exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0 || args[0] is "help" or "--help" or "-h")
        {
            await stdout.WriteAsync(RootUsage());
            return 0;
        }

        string subcommand = args[0];
        var rest = args.Skip(1).ToList();
        AgnhostFlags flags = subcommand switch
        {
            "netexec" => NetexecOptions.Flags(),
            "serve-hostname" => ServeHostnameOptions.Flags(),
            "pause" => new AgnhostFlags().Int("delay-shutdown", 0, "Number of seconds to delay shutdown when receiving SIGTERM/SIGINT."),
            "pause-image" or "dns-suffix" or "dns-server-list" or "etc-hosts" => new AgnhostFlags(),
            _ => null!,
        };
        if (flags is null)
        {
            await stderr.WriteAsync($"Error: unknown command {GoFormat.Quote(subcommand)} for \"agnhost\"\nRun 'agnhost --help' for usage.\n");
            return 1;
        }

        try
        {
            flags.Parse(rest);
        }
        catch (AgnhostUsageException e)
        {
            await stderr.WriteAsync($"Error: {e.Message}\nUsage:\n  agnhost {subcommand} [flags]\n\n{flags.Usage()}\n");
            return 1;
        }

        if (flags.HelpRequested)
        {
            await stdout.WriteAsync($"Usage:\n  agnhost {subcommand} [flags]\n\n{flags.Usage()}");
            return 0;
        }

        using var loggers = AgnhostLogging.Create(stderr);
        var logger = loggers.CreateLogger("Strata.Agent.Agnhost");
        try
        {
            return subcommand switch
            {
                "netexec" => await NetexecAsync(NetexecOptions.From(flags), loggers, logger),
                "serve-hostname" => await ServeHostnameAsync(ServeHostnameOptions.From(flags), loggers, logger),
                "pause" => await PauseAsync(flags.GetInt("delay-shutdown"), stdout),
                "pause-image" => await PauseImageAsync(stderr),
                "dns-suffix" => await PrintDnsAsync(DnsInfo.SearchList, stdout, stderr),
                "dns-server-list" => await PrintDnsAsync(DnsInfo.ServerList, stdout, stderr),
                _ => await PrintFileAsync(DnsInfo.EtcHosts, stdout, stderr),
            };
        }
        catch (AgnhostUsageException e)
        {
            AgnhostLog.Fatal(logger, subcommand, e.Message);
            return 1;
        }
        catch (IOException e)
        {
            // Go's log.Fatal: the error, then exit status 1 (e.g. the port is taken).
            AgnhostLog.Fatal(logger, subcommand, e.Message);
            return 1;
        }
    }

    private static async Task<int> NetexecAsync(NetexecOptions options, ILoggerFactory loggers, ILogger logger)
    {
        using var signals = new TerminationSignals(interrupt: false);
        await using var server = await NetexecServer.StartAsync(options, loggers);
        var first = await Task.WhenAny(signals.Received, server.ExitRequested);
        if (first == signals.Received)
        {
            server.MarkTerminating();
            if (options.DelayShutdown > 0)
            {
                AgnhostLog.DelayingShutdown(logger, options.DelayShutdown);
                await Task.Delay(TimeSpan.FromSeconds(options.DelayShutdown));
            }

            return 0;
        }

        var exit = await server.ExitRequested;
        if (exit.Timeout > TimeSpan.Zero)
        {
            string result = "<nil>";
            try
            {
                await server.StopAsync(exit.Timeout);
            }
            catch (OperationCanceledException)
            {
                result = "context deadline exceeded";
            }

            AgnhostLog.ShutdownCompleted(logger, result);
        }

        return exit.Code;
    }

    private static async Task<int> ServeHostnameAsync(ServeHostnameOptions options, ILoggerFactory loggers, ILogger logger)
    {
        using var signals = new TerminationSignals(interrupt: false);
        await using var server = await ServeHostnameServer.StartAsync(options, loggers);
        var signal = await signals.Received;
        AgnhostLog.HostnameSignal(logger, TerminationSignals.Describe(signal, capitalized: false));
        AgnhostLog.AwaitingDeletion(logger);

        // Upstream keeps serving for a minute after SIGTERM, so that the pod is gone before it stops answering.
        await Task.Delay(TimeSpan.FromSeconds(60));
        return 0;
    }

    private static async Task<int> PauseAsync(int delayShutdown, TextWriter stdout)
    {
        using var signals = new TerminationSignals(interrupt: true);
        await stdout.WriteLineAsync("Paused");
        await stdout.FlushAsync();
        var signal = await signals.Received;
        int code = signal == PosixSignal.SIGINT ? 1 : 2;
        if (delayShutdown > 0)
        {
            await stdout.WriteAsync($"Sleeping {delayShutdown} seconds before exit ...");
            await stdout.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(delayShutdown));
        }

        await stdout.WriteLineAsync($"exiting {code}");
        await stdout.FlushAsync();
        return code;
    }

    /// <summary>registry.k8s.io/pause's /pause: warns when not PID 1, sleeps, and exits 0 on SIGTERM or SIGINT (psignal's line on stderr).</summary>
    private static async Task<int> PauseImageAsync(TextWriter stderr)
    {
        using var signals = new TerminationSignals(interrupt: true);
        if (Environment.ProcessId != 1)
        {
            await stderr.WriteLineAsync("Warning: pause should be the first process");
            await stderr.FlushAsync();
        }

        var signal = await signals.Received;
        await stderr.WriteLineAsync($"Shutting down, got signal: {TerminationSignals.Describe(signal, capitalized: true)}");
        await stderr.FlushAsync();
        return 0;
    }

    private static async Task<int> PrintDnsAsync(Func<string, IReadOnlyList<string>?> select, TextWriter stdout, TextWriter stderr)
    {
        var words = select(File.ReadAllText(DnsInfo.ResolvConf));
        if (words is null)
        {
            // Upstream panics: the message, and Go's exit status 2.
            await stderr.WriteLineAsync("panic: Could not find DNS search list!");
            return 2;
        }

        await stdout.WriteLineAsync(string.Join(",", words));
        return 0;
    }

    private static async Task<int> PrintFileAsync(string path, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            await stdout.WriteLineAsync(await File.ReadAllTextAsync(path));
            return 0;
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"panic: open {path}: {e.Message}");
            return 2;
        }
    }

    private static string RootUsage()
    {
        var text = new System.Text.StringBuilder("agnhost, as implemented by Strata: a test server for Kubernetes networking.\n\nUsage:\n  agnhost [command]\n\nAvailable Commands:\n");
        foreach (var (name, summary) in Subcommands)
        {
            text.Append($"  {name,-16} {summary}\n");
        }

        text.Append("\nUse \"agnhost [command] --help\" for more information about a command.\n");
        return text.ToString();
    }
}
