using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using k8s.Exceptions;
using Strata.Controllers.Client;
using Strata.Dns.Configuration;
using Strata.Dns.Serving;

namespace Strata.Cli.Commands;

/// <summary><c>strata dns</c>: the cluster DNS server (CoreDNS's place), until interrupted.</summary>
internal static class DnsCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "The kubeconfig to reach the API server with; without it, the pod's service account (in-cluster: the kubernetes Service, the mounted token and CA).",
        };
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port for UDP and TCP, e.g. 127.0.0.1:53 or [::]:53.",
            DefaultValueFactory = _ => "0.0.0.0:53",
        };
        var upstream = new Option<string[]>("--upstream")
        {
            Description = "Resolvers for names outside the cluster zone (ip, ip:port); default: the nameservers of /etc/resolv.conf.",
            AllowMultipleArgumentsPerToken = true,
        };
        var zone = new Option<string?>("--zone") { Description = "The cluster domain (default cluster.local)." };
        var ttl = new Option<string?>("--ttl") { Description = "TTL in seconds of cluster answers (default 30)." };
        var pods = new Option<string?>("--pods") { Description = "Pod records: disabled, insecure (default) or verified." };
        var configMap = new Option<string>("--config-map")
        {
            Description = "namespace/name of a ConfigMap with the keys zone, ttl, upstreams, pods; watched, and overriding the flags. '' for none.",
            DefaultValueFactory = _ => "kube-system/strata-dns",
        };
        var command = new Command("dns", "Serve cluster DNS (the Kubernetes DNS specification 1.1.0) and forward other names upstream.")
        {
            kubeconfig, listen, upstream, zone, ttl, pods, configMap,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!IPEndPoint.TryParse(result.GetValue(listen)!, out var endpoint) || endpoint.Port == 0 && !result.GetValue(listen)!.EndsWith(":0", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"strata: --listen \"{result.GetValue(listen)}\" is not ip:port");
                return 1;
            }

            var flags = new Dictionary<string, string>();
            void Flag(string key, string? value)
            {
                if (value is not null)
                {
                    flags[key] = value;
                }
            }

            Flag("zone", result.GetValue(zone));
            Flag("ttl", result.GetValue(ttl));
            Flag("pods", result.GetValue(pods));
            if (result.GetValue(upstream) is { Length: > 0 } upstreams)
            {
                flags["upstreams"] = string.Join(' ', upstreams);
            }

            using var loggerFactory = ControllerFlags.ConsoleLogging();
            RemoteKubeClient client;
            try
            {
                client = result.GetValue(kubeconfig) is { } path ? RemoteKubeClient.FromKubeconfig(path) : InCluster();
            }
            catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"strata: --kubeconfig: {e.Message}");
                return 1;
            }

            using (client)
            {
                DnsService service;
                try
                {
                    service = await DnsService.StartAsync(client, new DnsServiceOptions
                    {
                        Listen = endpoint,
                        Flags = flags,
                        ConfigMap = result.GetValue(configMap) is { Length: > 0 } cm ? cm : null,
                    }, loggerFactory);
                }
                catch (Exception e) when (e is DnsConfigException or SocketException or TimeoutException)
                {
                    Console.Error.WriteLine($"strata: {e.Message}");
                    return 1;
                }

                await using (service)
                {
                    Console.WriteLine($"serving DNS on {service.Endpoint} (UDP and TCP): {service.Config}");
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

    // client-go's rest.InClusterConfig: KUBERNETES_SERVICE_HOST/PORT and the service account files the kubelet mounts.
    private static RemoteKubeClient InCluster() =>
        k8s.KubernetesClientConfiguration.IsInCluster()
            ? new RemoteKubeClient(k8s.KubernetesClientConfiguration.InClusterConfig())
            : throw new KubeConfigException("not given, and not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and " +
                "/var/run/secrets/kubernetes.io/serviceaccount/token present (unable to load in-cluster configuration)");
}
