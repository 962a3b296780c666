using System.CommandLine;
using Strata.Netlink;

namespace Strata.Cli.Commands;

/// <summary><c>strata netns list|add|del</c>: the same registry as <c>ip netns</c> (/run/netns).</summary>
internal static class NetnsCommand
{
    public static Command Build()
    {
        var command = new Command("netns", "Manage named network namespaces, compatible with 'ip netns'.");

        var list = new Command("list", "List named network namespaces, one per line.");
        list.SetAction(_ => CommandErrors.Run(() =>
        {
            foreach (string name in NetworkNamespace.List())
            {
                Console.WriteLine(name);
            }

            return 0;
        }));

        var addName = new Argument<string>("name") { Description = "Namespace name (a file under /run/netns)." };
        var add = new Command("add", "Create a named network namespace.") { addName };
        add.SetAction(result => CommandErrors.Run(() =>
        {
            NetworkNamespace.Create(result.GetValue(addName)!).Dispose();
            return 0;
        }));

        var delName = new Argument<string>("name") { Description = "Namespace name." };
        var del = new Command("del", "Delete a named network namespace.") { delName };
        del.Aliases.Add("delete");
        del.SetAction(result => CommandErrors.Run(() =>
        {
            NetworkNamespace.Delete(result.GetValue(delName)!);
            return 0;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(add);
        command.Subcommands.Add(del);
        return command;
    }
}
