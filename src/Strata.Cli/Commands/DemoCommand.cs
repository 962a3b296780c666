using System.CommandLine;

namespace Strata.Cli.Commands;

internal static class DemoCommand
{
    public static Command Build()
    {
        var command = new Command("demo", "Bring the lab up with the seed article's workloads (nginx Deployment, Service, client pod) and show them as the article does; the lab stays up.");
        command.SetAction(_ => CommandErrors.Run(() =>
        {
            BenchCommand.RequireRoot("demo");
            return new Demo.LabDemo(Console.Out, LabCommands.ResolveStrata(null)).Run();
        }));
        command.Subcommands.Add(BuildScenes());
        return command;
    }

    private static Command BuildScenes()
    {
        var command = new Command("scenes", "Build the seed article's veth, bridge and VXLAN scenes with Strata's netlink library, ping across them, and clean up.");
        var keep = new Option<bool>("--keep") { Description = "Leave the scenes up to explore; remove them later with 'strata demo scenes --down'." };
        var down = new Option<bool>("--down") { Description = "Remove scenes left by 'strata demo scenes --keep'." };
        var plugins = new Option<string>("--plugins") { Description = "Strata's CNI plugin directory.", DefaultValueFactory = _ => BenchCommand.DefaultPluginDirectory() };
        command.Options.Add(plugins);
        command.Options.Add(keep);
        command.Options.Add(down);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            BenchCommand.RequireRoot("demo scenes");
            return result.GetValue(down) ? Demo.SeedScenes.Down(Console.Out) : Demo.SeedScenes.Run(Console.Out, result.GetValue(keep), result.GetValue(plugins)!);
        }));
        return command;
    }
}
