using System.CommandLine;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;
using Strata.Controllers;
using Strata.Controllers.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata controller-manager</c>: run the control loops against any API server, until interrupted.</summary>
internal static class ControllerManagerCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig to reach the API server with.", Required = true };
        var controllers = new Option<string>("--controllers")
        {
            Description = $"Comma-separated controllers to run: '*' for all, '-name' to leave one out. Known: {string.Join(", ", ControllerManager.KnownControllers)}.",
            DefaultValueFactory = _ => "*",
        };
        var clusterCidr = new Option<string>("--cluster-cidr")
        {
            Description = "The pod network that node podCIDRs are cut from.",
            DefaultValueFactory = _ => new ControllerManagerOptions().ClusterCidr,
        };
        var maskSize = new Option<int>("--node-cidr-mask-size")
        {
            Description = "The prefix length of each node's podCIDR.",
            DefaultValueFactory = _ => new ControllerManagerOptions().NodeCidrMaskSize,
        };
        var command = new Command("controller-manager", "Run the controllers (kube-controller-manager's and the scheduler) against an API server.")
        {
            kubeconfig, controllers, clusterCidr, maskSize,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new ControllerManagerOptions
            {
                Controllers = [.. result.GetValue(controllers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                ClusterCidr = result.GetValue(clusterCidr)!,
                NodeCidrMaskSize = result.GetValue(maskSize),
            };
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
            RemoteKubeClient client;
            ControllerManager manager;
            try
            {
                client = RemoteKubeClient.FromKubeconfig(result.GetValue(kubeconfig)!);
            }
            catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"strata: --kubeconfig: {e.Message}");
                return 1;
            }

            using (client)
            {
                try
                {
                    manager = ControllerManager.Start(client, options, loggerFactory);
                }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"strata: --controllers: {e.Message}");
                    return 1;
                }

                await using (manager)
                {
                    Console.WriteLine($"running {string.Join(", ", manager.Controllers.Select(c => c.Name))}");
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }

            return 0;
        });
        return command;
    }
}
