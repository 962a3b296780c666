using System.CommandLine;
using Strata.Cli.Commands;

namespace Strata.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("Strata: a Kubernetes cluster network on the real Linux kernel.");
        root.Subcommands.Add(VersionCommand.Build());
        root.Subcommands.Add(NetnsCommand.Build());
        root.Subcommands.Add(LinkCommand.Build());
        root.Subcommands.Add(CniCommand.Build());
        root.Subcommands.Add(ApiServerCommand.Build());
        root.Subcommands.Add(ControllerManagerCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        LabCommands.AddTo(root);
        root.Subcommands.Add(AgnhostCommand.Build());
        root.Subcommands.Add(ImagesCommand.Build());
        root.Subcommands.Add(AgentCommand.Build());
        root.Subcommands.Add(DnsCommand.Build());
        root.Subcommands.Add(ProxyCommand.Build());
        root.Subcommands.Add(IngressCommand.Build());
        return root;
    }
}
