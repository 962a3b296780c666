using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Strata.Dns.Configuration;
using Strata.Dns.Serving;

namespace Strata.Cli.Commands;

/// <summary><c>strata dns</c>: the cluster DNS server (CoreDNS's place), until interrupted.</summary>
internal static class DnsCommand
{
    public static Command Build()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = ClusterConnection.KubeconfigDescription };
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
            if (ClusterConnection.Connect(result.GetValue(kubeconfig)) is not { } client)
            {
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
}
