using System.CommandLine;

namespace Strata.Cli.Commands;

internal static class DemoCommand
{
    public static Command Build()
    {
        var command = new Command("demo", "Build the seed article's veth, bridge and VXLAN scenes with Strata's netlink library, ping across them, and clean up.");
        var keep = new Option<bool>("--keep") { Description = "Leave the scenes up to explore; remove them later with 'strata demo --down'." };
        var down = new Option<bool>("--down") { Description = "Remove scenes left by 'strata demo --keep'." };
        var plugins = new Option<string>("--plugins") { Description = "Strata's CNI plugin directory.", DefaultValueFactory = _ => BenchCommand.DefaultPluginDirectory() };
        command.Options.Add(plugins);
        command.Options.Add(keep);
        command.Options.Add(down);
        command.SetAction(result => CommandErrors.Run(() =>
        {
            BenchCommand.RequireRoot("demo");
            return result.GetValue(down) ? Demo.SeedScenes.Down(Console.Out) : Demo.SeedScenes.Run(Console.Out, result.GetValue(keep), result.GetValue(plugins)!);
        }));
        return command;
    }
}
