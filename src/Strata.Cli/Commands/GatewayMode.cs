using System.Net;
using Strata.Ingress.Gateway;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata ingress --gateway</c>: the Gateway API instead of Ingress. The GatewayClasses whose controllerName is
/// <c>--gateway-controller-name</c> are ours; their Gateways' HTTP/HTTPS listeners are served on their own ports on
/// <c>--bind-address</c>, from a cluster (<c>--kubeconfig</c>, with statuses written) or a file (<c>--manifest</c>).
/// </summary>
internal static class GatewayMode
{
    public static async Task<int> RunAsync(string? kubeconfigPath, FileInfo? manifest, IPAddress address, string controllerName, string[] addresses, bool dump, CancellationToken cancellationToken)
    {
        using var loggers = ControllerFlags.ConsoleLogging();
        if (manifest is not null)
        {
            GatewayConfig config;
            try
            {
                config = new GatewayConfigBuilder(controllerName, addresses).Build(GatewayManifest.Parse(await File.ReadAllTextAsync(manifest.FullName, cancellationToken)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                Console.Error.WriteLine($"strata: --manifest {manifest.FullName}: {e.Message}");
                return 1;
            }

            if (dump)
            {
                Console.Write(GatewayConfigText.Render(config));
                return 0;
            }

            await using var fileServer = new GatewayServer(address, GatewayServer.CreateForwarder(), loggers);
            await fileServer.ApplyAsync(config, cancellationToken);
            foreach (var (port, problem) in fileServer.PortProblems)
            {
                Console.Error.WriteLine($"strata: cannot listen on {address}:{port}: {problem}");
            }

            Console.WriteLine($"serving the Gateways of {manifest.Name} on {address}, ports {string.Join(",", config.Ports.Select(p => p.Port))}");
            await WaitAsync(cancellationToken);
            return 0;
        }

        if (kubeconfigPath is null && !ClusterConnection.InPod)
        {
            Console.Error.WriteLine(IngressCommand.NeedsACluster);
            return 1;
        }

        if (ClusterConnection.Connect(kubeconfigPath) is not { } client)
        {
            return 1;
        }

        using (client)
        {
            if (dump)
            {
                GatewayConfig? seen = null;
                await using (var once = GatewayController.Start(client, controllerName, addresses, (c, _) =>
                {
                    seen = c;
                    return Task.FromResult<IReadOnlyDictionary<int, string>>(new Dictionary<int, string>());
                }, loggers, updateStatus: false))
                {
                    await once.WaitForFirstSyncAsync(cancellationToken);
                }

                Console.Write(GatewayConfigText.Render(seen!));
                return 0;
            }

            await using var server = new GatewayServer(address, GatewayServer.CreateForwarder(), loggers);
            await using var controller = GatewayController.Start(client, controllerName, addresses, GatewayController.PublishTo(server), loggers);
            Console.WriteLine($"serving Gateways of class controller {controllerName} on {address}; status address {string.Join(",", addresses)}");
            await WaitAsync(cancellationToken);
        }

        return 0;
    }

    private static async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
