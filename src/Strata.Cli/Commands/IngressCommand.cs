using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Strata.Ingress.Configuration;
using Strata.Ingress.Controller;
using Strata.Ingress.Proxy;
using Strata.Ingress.Routing;
using Strata.Ingress.Tls;

namespace Strata.Cli.Commands;

/// <summary><c>strata ingress</c>: the ingress controller (ingress-nginx's role) against any API server, until interrupted.</summary>
internal static class IngressCommand
{
    public const string NeedsACluster = "strata: ingress needs --kubeconfig (a cluster), --manifest (a file), or a pod's service account (in-cluster)";

    public static Command Build()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = ClusterConnection.KubeconfigDescription };
        var manifest = new Option<FileInfo?>("--manifest") { Description = "Serve the Ingresses, Services, EndpointSlices and Secrets of this YAML file instead of a cluster's." };
        var httpPort = new Option<int>("--http-port") { Description = "The HTTP port.", DefaultValueFactory = _ => 80 };
        var httpsPort = new Option<int>("--https-port") { Description = "The HTTPS port.", DefaultValueFactory = _ => 443 };
        var bind = new Option<string>("--bind-address") { Description = "The address to listen on.", DefaultValueFactory = _ => "0.0.0.0" };
        var ingressClass = new Option<string>("--ingress-class") { Description = "The class name of the legacy kubernetes.io/ingress.class annotation.", DefaultValueFactory = _ => IngressClassIdentity.DefaultClassName };
        var controllerClass = new Option<string>("--controller-class") { Description = "The IngressClass spec.controller this controller serves.", DefaultValueFactory = _ => IngressClassIdentity.DefaultController };
        var publish = new Option<string[]>("--publish-address") { Description = "The address(es) written to status.loadBalancer.ingress (default: $POD_IP, else this host's first IPv4 address)." };
        var publishService = new Option<string?>("--publish-service") { Description = "namespace/name of the controller's Service: the Ingresses' status shows its load balancer addresses (ingress-nginx's flag)." };
        var dump = new Option<bool>("--dump") { Description = "Print the route table once it is built from the cluster, and exit." };
        var gateway = new Option<bool>("--gateway") { Description = "Serve the Gateway API (GatewayClass, Gateway, HTTPRoute, ReferenceGrant) instead of Ingresses, on the listeners' ports." };
        var gatewayController = new Option<string>("--gateway-controller-name") { Description = "The GatewayClass spec.controllerName this controller serves.", DefaultValueFactory = _ => Strata.Ingress.Gateway.GatewayConfigBuilder.DefaultControllerName };
        var command = new Command("ingress", "Run the ingress controller: Ingress, IngressClass, Services, EndpointSlices and Secrets to a Kestrel + YARP proxy.")
        {
            kubeconfig, manifest, httpPort, httpsPort, bind, ingressClass, controllerClass, publish, publishService, dump, gateway, gatewayController,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            ProxyProcess.UseInlineCompletions();
            if (!IPAddress.TryParse(result.GetValue(bind), out var address))
            {
                Console.Error.WriteLine($"strata: --bind-address: \"{result.GetValue(bind)}\" is not an IP address");
                return 1;
            }

            if (result.GetValue(gateway))
            {
                return await GatewayMode.RunAsync(result.GetValue(kubeconfig), result.GetValue(manifest), address, result.GetValue(gatewayController)!,
                    result.GetValue(publish) is { Length: > 0 } gatewayAddresses ? gatewayAddresses : DefaultPublishAddresses(), result.GetValue(dump), cancellationToken);
            }

            if (result.GetValue(publishService) is { } published && published.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            {
                Console.Error.WriteLine($"strata: --publish-service: \"{published}\" is not namespace/name");
                return 1;
            }

            var identity = new IngressClassIdentity(result.GetValue(ingressClass)!, result.GetValue(controllerClass)!);
            var listen = new IngressListenOptions(address, result.GetValue(httpPort), result.GetValue(httpsPort));
            if (result.GetValue(manifest) is { } file)
            {
                return await ServeManifestAsync(file, identity, listen, result.GetValue(dump), cancellationToken);
            }

            if (result.GetValue(kubeconfig) is null && !ClusterConnection.InPod)
            {
                Console.Error.WriteLine(NeedsACluster);
                return 1;
            }

            if (ClusterConnection.Connect(result.GetValue(kubeconfig)) is not { } client)
            {
                return 1;
            }

            using var loggers = ControllerFlags.ConsoleLogging();
            using var fake = FakeCertificate.Create();
            var addresses = result.GetValue(publish) is { Length: > 0 } given ? given : DefaultPublishAddresses();
            using (client)
            {
                if (result.GetValue(dump))
                {
                    RouteTable? table = null;
                    await using (var once = IngressController.Start(client, identity, fake, t => table = t, [], loggers, updateStatus: false))
                    {
                        await once.WaitForFirstSyncAsync(cancellationToken);
                    }

                    Console.Write(RouteTableText.Render(table!));
                    return 0;
                }

                IngressServer server;
                try
                {
                    server = await IngressServer.StartAsync(listen, fake, loggers, cancellationToken);
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"strata: cannot listen on {listen.Address} ports {listen.HttpPort}/{listen.HttpsPort}: {e.Message}");
                    return 1;
                }

                await using (server)
                await using (var controller = IngressController.Start(client, identity, fake, server.Proxy.Update, addresses, loggers, publishService: result.GetValue(publishService)))
                {
                    Console.WriteLine($"serving http on {address}:{server.HttpPort}, https on {address}:{server.HttpsPort}; class {identity.ClassName} ({identity.Controller}); status address {(result.GetValue(publishService) is { } service ? $"of service {service}" : string.Join(",", addresses))}");
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

    private static async Task<int> ServeManifestAsync(FileInfo file, IngressClassIdentity identity, IngressListenOptions listen, bool dump, CancellationToken cancellationToken)
    {
        using var fake = FakeCertificate.Create();
        RouteTable table;
        try
        {
            table = new RouteTableBuilder(identity, fake).Build(ManifestState.Parse(await File.ReadAllTextAsync(file.FullName, cancellationToken)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"strata: --manifest {file.FullName}: {e.Message}");
            return 1;
        }

        if (dump)
        {
            Console.Write(RouteTableText.Render(table));
            return 0;
        }

        foreach (var problem in table.Problems)
        {
            Console.Error.WriteLine($"warning: {problem.Reason}: {problem.Message}");
        }

        using var loggers = ControllerFlags.ConsoleLogging();
        IngressServer server;
        try
        {
            server = await IngressServer.StartAsync(listen, fake, loggers, cancellationToken);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"strata: cannot listen on {listen.Address} ports {listen.HttpPort}/{listen.HttpsPort}: {e.Message}");
            return 1;
        }

        await using (server)
        {
            server.Proxy.Update(table);
            Console.WriteLine($"serving {file.Name} on http {listen.Address}:{server.HttpPort}, https {listen.Address}:{server.HttpsPort}");
            try
            {
                await WatchManifestAsync(file, identity, fake, server.Proxy, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return 0;
    }

    /// <summary>
    /// Rebuilds the table when the file changes (checked every 100 ms) and swaps it in, no restart; a file that no longer
    /// parses is reported and the table in service is kept.
    /// </summary>
    private static async Task WatchManifestAsync(FileInfo file, IngressClassIdentity identity, System.Security.Cryptography.X509Certificates.X509Certificate2 fake,
        IngressProxy proxy, CancellationToken cancellationToken)
    {
        var builder = new RouteTableBuilder(identity, fake);
        var seen = Stamp(file);
        var generation = 1;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var stamp = Stamp(file);
            if (stamp == seen)
            {
                continue;
            }

            seen = stamp;
            try
            {
                proxy.Update(builder.Build(ManifestState.Parse(await File.ReadAllTextAsync(file.FullName, cancellationToken))));
                Console.WriteLine($"configuration {++generation} applied from {file.Name}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                Console.Error.WriteLine($"strata: --manifest {file.FullName}: {e.Message}; the configuration in service is kept");
            }
        }
    }

    private static (DateTime, long) Stamp(FileInfo file)
    {
        file.Refresh();
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }

    /// <summary>ingress-nginx without --publish-service reports the address of the node it runs on.</summary>
    private static string[] DefaultPublishAddresses()
    {
        if (Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } podIp)
        {
            return [podIp];
        }

        var first = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return first is null ? [] : [first.ToString()];
    }
}
