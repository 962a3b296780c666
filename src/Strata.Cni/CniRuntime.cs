using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// The runtime side of CNI (libcni's CNIConfig): runs a network configuration list's plugins for
/// one attachment, chaining results on ADD, in reverse on DEL, and keeping the result cache.
/// </summary>
public sealed class CniRuntime(PluginInvoker invoker, ResultCache cache)
{
    public PluginInvoker Invoker { get; } = invoker;

    public ResultCache Cache { get; } = cache;

    /// <summary>ADD every plugin in order, each seeing the previous result; the last result is cached and returned.</summary>
    public JsonObject? Add(NetworkConfigList list, RuntimeConf runtime)
    {
        JsonObject? result = null;
        foreach (var plugin in list.Plugins)
        {
            var config = PluginConfigBuilder.Build(list, plugin, result, runtime);
            result = Invoker.Invoke(Type(plugin), "ADD", config, runtime) ?? result;
        }

        if (result is not null)
        {
            Cache.Write(list, runtime, result);
        }

        return result;
    }

    /// <summary>DEL every plugin in reverse order with the cached result as prevResult, then drop the cache entry.</summary>
    public void Delete(NetworkConfigList list, RuntimeConf runtime)
    {
        var entry = Cache.Read(list.Name, runtime);
        var cached = CniVersionAtLeast(list.CniVersion, "0.4.0") ? entry?["result"] as JsonObject : null;

        // A caller that no longer has the capability data (a restarted kubelet, `strata cni del`
        // by hand) gets what ADD used, so portmap still finds its rules to remove.
        if (runtime.CapabilityArgs.Count == 0 && entry?["capabilityArgs"] is JsonObject capabilities)
        {
            runtime = runtime with { CapabilityArgs = capabilities.ToDictionary(p => p.Key, p => p.Value!.DeepClone()) };
        }

        foreach (var plugin in list.Plugins.Reverse())
        {
            Invoker.Invoke(Type(plugin), "DEL", PluginConfigBuilder.Build(list, plugin, cached, runtime), runtime);
        }

        Cache.Delete(list.Name, runtime);
    }

    /// <summary>CHECK every plugin with the cached result (spec 0.4.0 and later).</summary>
    public void Check(NetworkConfigList list, RuntimeConf runtime)
    {
        if (!CniVersionAtLeast(list.CniVersion, "0.4.0"))
        {
            throw new CniConfigException($"{list.Source}: configuration version \"{list.CniVersion}\" does not support the CHECK command");
        }

        if (list.DisableCheck)
        {
            return;
        }

        var cached = Cache.ReadResult(list.Name, runtime)
            ?? throw new CniConfigException($"no cached result for {list.Name}-{runtime.ContainerId}-{runtime.IfName}: was it added by this runtime?");
        foreach (var plugin in list.Plugins)
        {
            Invoker.Invoke(Type(plugin), "CHECK", PluginConfigBuilder.Build(list, plugin, cached, runtime), runtime);
        }
    }

    /// <summary>STATUS of every plugin (spec 1.1): throws the first plugin's error.</summary>
    public void Status(NetworkConfigList list)
    {
        if (!CniVersionAtLeast(list.CniVersion, "1.1.0"))
        {
            return;
        }

        foreach (var plugin in list.Plugins)
        {
            Invoker.Invoke(Type(plugin), "STATUS", PluginConfigBuilder.Build(list, plugin, null, null), null);
        }
    }

    /// <summary>
    /// GC (libcni GCNetworkList): DEL every cached attachment of this network that is not valid,
    /// then, for spec 1.1, hand every plugin the valid attachments so it can drop the rest.
    /// </summary>
    public void GarbageCollect(NetworkConfigList list, IReadOnlyCollection<(string ContainerId, string IfName)> valid)
    {
        if (list.DisableGc)
        {
            return;
        }

        var errors = new List<Exception>();
        foreach (var (network, runtime) in Cache.Attachments().Where(a => a.Network == list.Name).ToList())
        {
            if (!valid.Contains((runtime.ContainerId, runtime.IfName)))
            {
                try
                {
                    Delete(list, runtime);
                }
                catch (Exception ex) when (ex is CniPluginException or CniConfigException)
                {
                    errors.Add(ex);
                }
            }
        }

        if (CniVersionAtLeast(list.CniVersion, "1.1.0"))
        {
            foreach (var plugin in list.Plugins)
            {
                try
                {
                    Invoker.Invoke(Type(plugin), "GC", PluginConfigBuilder.BuildGc(list, plugin, valid), null);
                }
                catch (CniPluginException ex)
                {
                    errors.Add(ex);
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException($"GC of network {list.Name} failed", errors);
        }
    }

    /// <summary>VERSION: which spec versions a plugin speaks.</summary>
    public IReadOnlyList<string> Versions(string type)
    {
        var json = Invoker.Invoke(type, "VERSION", new JsonObject { ["cniVersion"] = NetworkConfigList.SupportedVersions[^1] }, null);
        return (json?["supportedVersions"] as JsonArray ?? []).Select(v => v!.GetValue<string>()).ToList();
    }

    private static string Type(JsonObject plugin) => plugin["type"]!.GetValue<string>();

    private static bool CniVersionAtLeast(string version, string minimum) => Version.Parse(version) >= Version.Parse(minimum);
}
