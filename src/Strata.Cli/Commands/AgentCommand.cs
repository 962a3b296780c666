using System.CommandLine;
using k8s.Exceptions;
using Strata.Agent;
using Strata.Controllers.Client;

namespace Strata.Cli.Commands;

/// <summary><c>strata agent</c>: the node agent (its kubelet and flannel roles), until SIGTERM or Ctrl-C.</summary>
internal static class AgentCommand
{
    public static Command Build()
    {
        var defaults = new AgentOptions();
        var roles = new Option<string>("--roles") { Description = "The node roles to run, comma separated (kubelet, flannel, proxy, lb-speaker).", DefaultValueFactory = _ => "kubelet" };
        var nodeName = new Option<string>("--node-name") { Description = "The Node this agent registers and runs pods for.", Required = true };
        var nodeIp = new Option<string>("--node-ip") { Description = "The node's InternalIP (required by the kubelet role; flannel alone takes the Node's).", DefaultValueFactory = _ => "" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig to reach the API server with.", Required = true };
        var rootDir = new Option<string>("--root-dir") { Description = "The kubelet's state directory.", DefaultValueFactory = _ => defaults.RootDir };
        var podLogsDir = new Option<string>("--pod-logs-dir") { Description = "Where container logs are written.", DefaultValueFactory = _ => defaults.PodLogsDir };
        var cniConfDir = new Option<string>("--cni-conf-dir") { Description = "The CNI network configurations.", DefaultValueFactory = _ => defaults.CniConfDir };
        var cniBinDir = new Option<string>("--cni-bin-dir") { Description = "The CNI plugins.", DefaultValueFactory = _ => defaults.CniBinDir };
        var cniCacheDir = new Option<string>("--cni-cache-dir") { Description = "The CNI result cache.", DefaultValueFactory = _ => defaults.CniCacheDir };
        var port = new Option<int>("--port") { Description = "The kubelet server's port (logs, exec).", DefaultValueFactory = _ => defaults.Port };
        var address = new Option<string>("--address") { Description = "The address the kubelet server listens on.", DefaultValueFactory = _ => defaults.Address };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "The cluster DNS address pods resolve with.", DefaultValueFactory = _ => defaults.ClusterDns };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "The cluster's DNS domain.", DefaultValueFactory = _ => defaults.ClusterDomain };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "proxy role: the pod network; traffic to cluster IPs from outside it is masqueraded.", DefaultValueFactory = _ => "" };
        var proxyMode = new Option<string>("--proxy-mode") { Description = "proxy role: the proxy mode (iptables).", DefaultValueFactory = _ => "iptables" };
        var masqueradeAll = new Option<bool>("--masquerade-all") { Description = "proxy role: masquerade all traffic to cluster IPs." };
        var healthzBindAddress = new Option<string>("--healthz-bind-address") { Description = "proxy role: IP:port of the /healthz and /livez server; empty disables it.", DefaultValueFactory = _ => Strata.Proxy.Health.ProxyHealthServer.DefaultBindAddress };
        var netConf = new Option<string>("--net-conf") { Description = "flannel role: a net-conf.json file instead of the ConfigMap kube-flannel/kube-flannel-cfg.", DefaultValueFactory = _ => "" };
        var command = new Command("agent", "Run the node agent: register the node and run its pods (kubelet role), program the pod network (flannel role), program Services (proxy role).")
        {
            roles, nodeName, nodeIp, kubeconfig, rootDir, podLogsDir, cniConfDir, cniBinDir, cniCacheDir, port, address, clusterDns, clusterDomain,
            clusterCidr, proxyMode, masqueradeAll, netConf, healthzBindAddress,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new AgentOptions
            {
                Roles = [.. result.GetValue(roles)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                NodeName = result.GetValue(nodeName)!,
                NodeIp = result.GetValue(nodeIp)!,
                Kubeconfig = result.GetValue(kubeconfig)!,
                RootDir = result.GetValue(rootDir)!,
                PodLogsDir = result.GetValue(podLogsDir)!,
                CniConfDir = result.GetValue(cniConfDir)!,
                CniBinDir = result.GetValue(cniBinDir)!,
                CniCacheDir = result.GetValue(cniCacheDir)!,
                Port = result.GetValue(port),
                Address = result.GetValue(address)!,
                ClusterDns = result.GetValue(clusterDns)!,
                ClusterDomain = result.GetValue(clusterDomain)!,
                ClusterCidr = result.GetValue(clusterCidr)!,
                ProxyMode = result.GetValue(proxyMode)!,
                MasqueradeAll = result.GetValue(masqueradeAll),
                HealthzBindAddress = result.GetValue(healthzBindAddress)!,
                NetConf = result.GetValue(netConf)!,
            };
            if (options.Validate() is { Count: > 0 } errors)
            {
                foreach (var error in errors)
                {
                    Console.Error.WriteLine($"strata agent: {error}");
                }

                return 1;
            }

            using var loggerFactory = ControllerFlags.ConsoleLogging();
            RemoteKubeClient client;
            try
            {
                client = RemoteKubeClient.FromKubeconfig(options.Kubeconfig);
            }
            catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"strata agent: --kubeconfig: {e.Message}");
                return 1;
            }

            using (client)
            {
                var host = new AgentHost(options, client, loggerFactory, AgentHost.HttpsServer(options, loggerFactory));
                try
                {
                    await host.RunAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ArgumentException or InvalidOperationException or Strata.Flannel.Config.NetConfException or Strata.Netlink.NetlinkException)
                {
                    Console.Error.WriteLine($"strata agent: {e.Message}");
                    return 1;
                }
            }

            return 0;
        });
        return command;
    }
}
