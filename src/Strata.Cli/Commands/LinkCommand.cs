using System.CommandLine;
using Strata.Cli.Rendering;
using Strata.Netlink;

namespace Strata.Cli.Commands;

/// <summary><c>strata link list [--netns N] [-j]</c>: a small <c>ip -d link</c>, read through Strata's own netlink library.</summary>
internal static class LinkCommand
{
    public static Command Build()
    {
        var command = new Command("link", "Inspect links (an 'ip link'-like view through Strata's netlink library).");
        var netns = new Option<string?>("--netns", "-n") { Description = "Named namespace (or a path such as /proc/PID/ns/net); default: the current one." };
        var json = new Option<bool>("--json", "-j") { Description = "Print JSON in the shape of 'ip -j -d link'." };
        var list = new Command("list", "List links with their kind, master, peer and vxlan attributes.") { netns, json };
        list.Aliases.Add("show");
        list.SetAction(result => CommandErrors.Run(() =>
        {
            string? name = result.GetValue(netns);
            using var ns = name is null ? null : NetworkNamespace.Open(name);
            using var nl = Rtnetlink.Open(ns);
            var links = nl.GetLinks();
            Console.Out.Write(result.GetValue(json) ? LinkRenderer.Json(links) : LinkRenderer.Text(links));
            return 0;
        }));
        command.Subcommands.Add(list);
        return command;
    }
}
