using System.CommandLine;
using Strata.ApiServer;
using Strata.ApiServer.Hosting;

namespace Strata.Cli.Commands;

/// <summary><c>strata apiserver</c>: serve the Kubernetes API for kubectl, until interrupted.</summary>
internal static class ApiServerCommand
{
    public static Command Build()
    {
        var listen = new Option<string[]>("--listen")
        {
            Description = "Address to serve HTTPS on (repeatable); the first goes into the kubeconfig.",
            DefaultValueFactory = _ => ["127.0.0.1:6443"],
            AllowMultipleArgumentsPerToken = false,
        };
        var listenFd = new Option<ulong[]>("--listen-fd") { Description = "An already-bound listening socket to serve on too (repeatable)." };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Where the database, certificates, token and kubeconfig live.",
            DefaultValueFactory = _ => "/var/lib/strata/apiserver",
        };
        var kubeconfig = new Option<string?>("--kubeconfig-out") { Description = "Also write the admin kubeconfig here." };
        var etcd = new Option<string?>("--etcd-servers") { Description = "Store objects in this etcd (http://HOST:PORT) instead of SQLite." };
        var durable = new Option<bool>("--durable") { Description = "fsync every write (SQLite synchronous=FULL), to survive power loss too." };
        var serviceRange = new Option<string>("--service-cluster-ip-range")
        {
            Description = "The CIDR Service ClusterIPs come from.",
            DefaultValueFactory = _ => Strata.ApiServer.Allocation.ServiceIpRange.DefaultCidr,
        };
        var nodePortRange = new Option<string>("--service-node-port-range")
        {
            Description = "The ports NodePorts come from (FROM-TO).",
            DefaultValueFactory = _ => Strata.ApiServer.Allocation.PortRange.DefaultNodePorts,
        };
        var advertise = new Option<string?>("--advertise-address") { Description = "The address the kubernetes Service's endpoints point at." };
        var kubeletNetns = new Option<string?>("--kubelet-netns") { Description = "Dial kubelets (logs, exec) from this network namespace, such as a lab's underlay." };
        var disableAdmission = new Option<string[]>("--disable-admission-plugins")
        {
            Description = "Admission plugins to turn off, comma-separated (ServiceAccount: pods get no service account token volume).",
        };
        var flags = new ControllerFlags();
        var command = new Command("apiserver", "Serve the Kubernetes API (kubectl-compatible) from a SQLite store, with the control loops in-process.")
        {
            listen, listenFd, dataDir, kubeconfig, etcd, durable, serviceRange, nodePortRange, advertise, kubeletNetns, disableAdmission,
        };
        foreach (var option in flags.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var disabled = (result.GetValue(disableAdmission) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (disabled.FirstOrDefault(p => p != "ServiceAccount") is { } unknown)
            {
                Console.Error.WriteLine($"strata: --disable-admission-plugins: \"{unknown}\" is not an admission plugin that can be turned off (ServiceAccount is)");
                return 1;
            }

            var options = new ApiServerOptions
            {
                Listen = [.. result.GetValue(listen)!],
                ListenHandles = [.. result.GetValue(listenFd) ?? []],
                DataDirectory = result.GetValue(dataDir)!,
                Durable = result.GetValue(durable),
                EtcdServers = result.GetValue(etcd),
                ServiceClusterIpRange = result.GetValue(serviceRange)!,
                ServiceNodePortRange = result.GetValue(nodePortRange)!,
                AdvertiseAddress = result.GetValue(advertise),
                KubeletNetworkNamespace = result.GetValue(kubeletNetns),
                Controllers = flags.ControllerNames(result),
                ClusterCidr = result.GetValue(flags.ClusterCidr)!,
                NodeCidrMaskSize = result.GetValue(flags.NodeCidrMaskSize),
                LoadBalancerPool = result.GetValue(flags.LoadBalancerPool),
                ServiceAccountAdmission = !disabled.Contains("ServiceAccount"),
            };
            using var loggerFactory = ControllerFlags.ConsoleLogging();
            ApiServerHost host;
            try
            {
                host = await ApiServerHost.StartAsync(options, loggerFactory, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or Strata.ApiServer.Storage.StorageException)
            {
                Console.Error.WriteLine($"strata: {e.Message}");
                return 1;
            }

            await using (host)
            {
                if (result.GetValue(kubeconfig) is { } copy)
                {
                    File.Copy(host.KubeconfigPath, copy, overwrite: true);
                }

                Console.WriteLine($"serving {string.Join(", ", host.Addresses)}");
                Console.WriteLine($"export KUBECONFIG={result.GetValue(kubeconfig) ?? host.KubeconfigPath}");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        });
        return command;
    }
}
