using System.CommandLine;
using k8s.Exceptions;
using Strata.Controllers;
using Strata.Controllers.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata controller-manager</c>: run the control loops against any API server, until interrupted.</summary>
internal static class ControllerManagerCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig to reach the API server with.", Required = true };
        var flags = new ControllerFlags();
        var command = new Command("controller-manager", "Run the controllers (kube-controller-manager's and the scheduler) against an API server.")
        {
            kubeconfig,
        };
        foreach (var option in flags.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new ControllerManagerOptions
            {
                Controllers = flags.ControllerNames(result),
                ClusterCidr = result.GetValue(flags.ClusterCidr)!,
                NodeCidrMaskSize = result.GetValue(flags.NodeCidrMaskSize),
                LoadBalancerPool = result.GetValue(flags.LoadBalancerPool),
            };
            using var loggerFactory = ControllerFlags.ConsoleLogging();
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
                    Console.Error.WriteLine($"strata: {e.Message}");
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
