using System.Net;
using Microsoft.Extensions.Logging;
using Strata.Agent.Kubelet;
using Strata.Agent.Server;
using Strata.Controllers.Client;
using Strata.Flannel;

namespace Strata.Agent;

/// <summary>Serves the kubelet API (logs, exec) from the runtime's containers until the token is cancelled.</summary>
public delegate Task KubeletServerRunner(IContainerLocator locator, CancellationToken cancellationToken);

/// <summary>
/// <c>strata agent</c>: runs the enabled node roles until it is stopped. The kubelet role also runs the kubelet
/// server when one is given (<paramref name="kubeletServer"/>: the HTTPS server on --port, over the role's locator).
/// </summary>
public sealed class AgentHost(AgentOptions options, IKubeClient client, ILoggerFactory loggers, KubeletServerRunner? kubeletServer = null)
{
    /// <summary>The kubelet server on --address:--port (Server/KubeletServer), serving the role's containers until stopped.</summary>
    public static KubeletServerRunner HttpsServer(AgentOptions options, ILoggerFactory loggers) => async (locator, cancellationToken) =>
    {
        var serverOptions = new KubeletServerOptions
        {
            Address = IPAddress.Parse(options.Address),
            Port = options.Port,
            DnsNames = [options.NodeName],
        };
        await using var server = await KubeletServer.StartAsync(serverOptions, locator, loggers, cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    };

    /// <summary>The kubelet role, once <see cref="RunAsync"/> has started it.</summary>
    public KubeletRole? Kubelet { get; private set; }

    /// <summary>The proxy role, once <see cref="RunAsync"/> has started it.</summary>
    public Strata.Proxy.Sync.ProxyRole? Proxy { get; private set; }

    public static Strata.Proxy.ProxySettings ProxySettingsOf(AgentOptions options) => new()
    {
        NodeName = options.NodeName,
        NodeIP = options.NodeIp,
        ClusterCidr = options.ClusterCidr,
        MasqueradeAll = options.MasqueradeAll,
        Mode = options.ProxyMode,
        HealthzBindAddress = options.HealthzBindAddress,
    };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Validate(requireKubeconfig: false) is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        var roles = new List<Task>();
        if (options.Roles.Contains("kubelet"))
        {
            Kubelet = new KubeletRole(client, KubeletConfig.From(options), loggers);
            var locator = Kubelet.Locator;

            // The server first, on its own thread: `kubectl logs/exec` must work as soon as the node is Ready.
            if (kubeletServer is not null)
            {
                roles.Add(Task.Run(() => kubeletServer(locator, cancellationToken), cancellationToken));
            }

            roles.Add(Task.Run(() => Kubelet.RunAsync(cancellationToken), cancellationToken));
        }

        if (options.Roles.Contains("flannel"))
        {
            var flannel = new FlannelRole(client, new FlannelOptions
            {
                NodeName = options.NodeName,
                NodeIp = string.IsNullOrEmpty(options.NodeIp) ? null : IPAddress.Parse(options.NodeIp),
                NetConfFile = string.IsNullOrEmpty(options.NetConf) ? null : options.NetConf,
                CniConfDir = options.CniConfDir,
            }, loggers);
            roles.Add(Task.Run(() => flannel.RunAsync(cancellationToken), cancellationToken));
        }

        if (options.Roles.Contains("proxy"))
        {
            Proxy = new Strata.Proxy.Sync.ProxyRole(client, ProxySettingsOf(options), loggers);
            roles.Add(Task.Run(() => Proxy.RunAsync(cancellationToken), cancellationToken));
        }

        if (options.Roles.Contains("lb-speaker"))
        {
            var speaker = new Strata.LoadBalancer.SpeakerRole(client, new(options.NodeName, IPAddress.Parse(options.NodeIp)), loggers);
            roles.Add(Task.Run(() => speaker.RunAsync(cancellationToken), cancellationToken));
        }

        // A role or the server that fails stops the agent (its supervisor restarts it), instead of leaving it half up.
        while (roles.Count > 0)
        {
            var done = await Task.WhenAny(roles);
            roles.Remove(done);
            await done;
        }
    }
}
