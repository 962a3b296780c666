using Strata.Cni;

namespace Strata.Agent.Runtime;

/// <summary>A CNI ADD that failed, with the message the kubelet shows (containerd's "plugin type=… failed (add): …").</summary>
public sealed class PodNetworkException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The pods' network through Strata's CNI runtime, as containerd's CRI plugin drives libcni: the first network
/// configuration in the conf dir (file-name order), plugins from the bin dir, results cached in the cache dir.
/// DEL uses the configuration cached by ADD, so a sandbox can be torn down after the conflist changed or went.
/// </summary>
public sealed class PodNetwork
{
    private readonly string _confDir;
    private readonly CniRuntime _runtime;

    /// <param name="hostNetns">The node's network namespace when the agent does not run inside it (tests); null: the agent's own.</param>
    public PodNetwork(string confDir, string binDir, string cacheDir, string? hostNetns = null)
    {
        _confDir = confDir;
        _runtime = new CniRuntime(new PluginInvoker([binDir], hostNetns, TimeSpan.FromSeconds(60)), new ResultCache(cacheDir));
    }

    /// <summary>The network pods join, or null with the reason when there is no valid configuration (the node is then NotReady).</summary>
    public NetworkConfigList? Current(out string? problem)
    {
        problem = null;
        try
        {
            if (!Directory.Exists(_confDir))
            {
                problem = $"no net configurations found in {_confDir}";
                return null;
            }

            foreach (var list in NetworkConfigList.LoadDirectory(_confDir))
            {
                return list;
            }

            problem = $"no net configurations found in {_confDir}";
        }
        catch (CniConfigException e)
        {
            problem = e.Message;
        }

        return null;
    }

    public bool IsReady => Current(out _) is not null;

    /// <summary>ADD; returns the pod's IPs (without prefix length). A failure is undone (DEL) before it is thrown.</summary>
    public IReadOnlyList<string> Add(RuntimeConf attachment, CancellationToken cancellationToken)
    {
        var list = Current(out var problem) ?? throw new PodNetworkException($"cni config uninitialized: {problem}");
        try
        {
            var result = _runtime.AddNetworkList(list, attachment, cancellationToken);
            return [.. result.Addresses.Select(a => a.Split('/')[0])];
        }
        catch (Exception e) when (e is CniPluginException or CniConfigException)
        {
            try
            {
                _runtime.Delete(list, attachment, cancellationToken);
            }
            catch (Exception cleanup) when (cleanup is CniPluginException or CniConfigException)
            {
                // The ADD's error is the one reported; a DEL failure is retried at teardown.
            }

            throw new PodNetworkException(AddFailure(e), e);
        }
    }

    /// <summary>DEL every attachment of the sandbox with the configuration its ADD cached; the current one if none was cached.</summary>
    public void Delete(string sandboxId, string netnsPath, CancellationToken cancellationToken)
    {
        var attachments = _runtime.Cache.Attachments(sandboxId).Where(a => a.ContainerId == sandboxId).ToList();
        if (attachments.Count == 0)
        {
            if (Current(out _) is { } list)
            {
                _runtime.Delete(list, new RuntimeConf { ContainerId = sandboxId, NetNs = NetnsIfPresent(netnsPath), IfName = "eth0" }, cancellationToken);
            }

            return;
        }

        foreach (var attachment in attachments)
        {
            var list = NetworkConfigList.Parse(attachment.Config, $"cached {attachment.Network}", isList: true);
            _runtime.Delete(list, attachment.ToRuntimeConf() with { NetNs = NetnsIfPresent(netnsPath) }, cancellationToken);
        }
    }

    /// <summary>containerd's message: failed to setup network for sandbox …: plugin type="…" failed (add): ….</summary>
    public static string AddFailure(Exception e) => e switch
    {
        CniPluginException plugin => $"plugin type=\"{plugin.Plugin}\" failed (add): {plugin.PluginMessage}{(plugin.Details.Length > 0 ? "; " + plugin.Details : string.Empty)}",
        _ => e.Message,
    };

    private static string NetnsIfPresent(string path) => File.Exists(path) ? path : string.Empty;
}
