using System.CommandLine;
using Strata.Agent.Agnhost;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata agnhost SUBCOMMAND [flags]</c>: Strata's agnhost (netexec, serve-hostname, pause, dns-suffix,
/// dns-server-list, etc-hosts), which the image table runs for <c>*agnhost*</c> and pause images. Its flags are
/// agnhost's own (Go pflag syntax), so everything after <c>agnhost</c> is passed through unparsed.
/// </summary>
internal static class AgnhostCommand
{
    public static Command Build()
    {
        var rest = new Argument<string[]>("subcommand-and-flags")
        {
            Description = "The agnhost subcommand and its flags, e.g. netexec --http-port=8080 --udp-port=8081.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("agnhost", "Run one of agnhost's test servers (netexec, serve-hostname, pause, dns-suffix, dns-server-list, etc-hosts).")
        {
            rest,
        };
        command.TreatUnmatchedTokensAsErrors = false;

        // agnhost answers --help itself (for each subcommand), so this command's own option shadows the root's help.
        var help = new Option<bool>("--help", "-h") { Description = "Show agnhost's help (or a subcommand's)." };
        command.Options.Add(help);

        // Synchronous on purpose: an async action would make System.CommandLine catch SIGTERM and SIGINT itself,
        // and agnhost's exit codes and delays on those signals are part of its behaviour.
        command.SetAction(result =>
        {
            var tokens = result.Tokens.SkipWhile(t => t.Value != "agnhost").Skip(1).Select(t => t.Value).ToList();
            if (result.GetValue(help) && !tokens.Contains("--help") && !tokens.Contains("-h"))
            {
                tokens.Add("--help");
            }

            return AgnhostProgram.RunAsync(tokens, Console.Out, Console.Error).GetAwaiter().GetResult();
        });
        return command;
    }
}
