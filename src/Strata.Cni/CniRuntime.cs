using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.Cni;

/// <summary>
/// The runtime side of CNI (libcni's CNIConfig): runs a network configuration list's plugins for
/// one attachment, chaining results on ADD, in reverse on DEL, CHECK with the cached result,
/// STATUS, GC and VERSION, and keeps the result cache.
/// </summary>
public sealed class CniRuntime(PluginInvoker invoker, ResultCache cache)
{
    public PluginInvoker Invoker { get; } = invoker;

    public ResultCache Cache { get; } = cache;

    /// <summary>ADD every plugin in order, each with the previous one's result; returns the last result as JSON, and caches it.</summary>
    public JsonObject Add(NetworkConfigList list, RuntimeConf runtime, CancellationToken cancellationToken = default) =>
        AddNetworkList(list, runtime, cancellationToken).ToJson();

    /// <summary>libcni AddNetworkList.</summary>
    public CniResult AddNetworkList(NetworkConfigList list, RuntimeConf runtime, CancellationToken cancellationToken = default)
    {
        runtime.Validate();
        if (list.Plugins.Count == 0)
        {
            throw new CniConfigException($"{list.Source}: no plugins in the list");
        }

        CniResult? result = null;
        foreach (var plugin in list.Plugins)
        {
            string type = Type(plugin);
            byte[] output = Invoker.Exec(type, "ADD", Stdin(PluginConfigBuilder.Build(list, plugin, result, runtime)), runtime, cancellationToken);
            try
            {
                result = CniResult.FromPluginOutput(output, list.CniVersion);
            }
            catch (CniResultException ex)
            {
                throw new CniPluginException(type, "ADD", 0, $"invalid result: {ex.Message}: {PluginInvoker.Excerpt(output)}");
            }
        }

        Cache.Write(list, runtime, result!);
        return result!;
    }

    /// <summary>
    /// DEL every plugin in reverse order with the cached result as prevResult (spec 0.4.0 and later),
    /// then drop the cache entry. A missing or unreadable entry is not an error, so DEL can always
    /// be repeated.
    /// </summary>
    public void Delete(NetworkConfigList list, RuntimeConf runtime, CancellationToken cancellationToken = default)
    {
        runtime.Validate();
        runtime = WithCachedArguments(list, runtime);
        CniResult? cached = null;
        if (CniVersion.AtLeast(list.CniVersion, "0.4.0"))
        {
            try
            {
                cached = Cache.ReadResult(list.Name, list.CniVersion, runtime);
            }
            catch (CniConfigException)
            {
                Cache.Delete(list.Name, runtime);
            }
        }

        foreach (var plugin in list.Plugins.Reverse())
        {
            Invoker.Exec(Type(plugin), "DEL", Stdin(PluginConfigBuilder.Build(list, plugin, cached, runtime)), runtime, cancellationToken);
        }

        Cache.Delete(list.Name, runtime);
    }

    /// <summary>CHECK every plugin with the cached result (spec 0.4.0 and later; nothing to do with disableCheck).</summary>
    public void Check(NetworkConfigList list, RuntimeConf runtime, CancellationToken cancellationToken = default)
    {
        if (!CniVersion.AtLeast(list.CniVersion, "0.4.0"))
        {
            throw new CniConfigException($"configuration version \"{list.CniVersion}\" does not support the CHECK command", 1);
        }

        if (list.DisableCheck)
        {
            return;
        }

        runtime.Validate();
        runtime = WithCachedArguments(list, runtime);
        CniResult cached;
        try
        {
            cached = Cache.ReadResult(list.Name, list.CniVersion, runtime)
                ?? throw new CniConfigException($"no cached result for {list.Name}-{runtime.ContainerId}-{runtime.IfName} in {Cache.ResultsDirectory}: was it added by this runtime?", 3);
        }
        catch (CniConfigException ex) when (ex.Code != 3)
        {
            throw new CniConfigException($"failed to get network \"{list.Name}\" cached result: {ex.Message}", ex.Code);
        }

        foreach (var plugin in list.Plugins)
        {
            Invoker.Exec(Type(plugin), "CHECK", Stdin(PluginConfigBuilder.Build(list, plugin, cached, runtime)), runtime, cancellationToken);
        }
    }

    /// <summary>STATUS of every plugin (spec 1.1; earlier versions have nothing to ask): throws the first plugin's error.</summary>
    public void Status(NetworkConfigList list, CancellationToken cancellationToken = default)
    {
        if (!CniVersion.AtLeast(list.CniVersion, "1.1.0"))
        {
            return;
        }

        foreach (var plugin in list.Plugins)
        {
            Invoker.Exec(Type(plugin), "STATUS", Stdin(PluginConfigBuilder.BuildStatus(list, plugin)), runtime: null, cancellationToken);
        }
    }

    /// <summary>
    /// GC (libcni GCNetworkList): DEL every cached attachment of this network that is not in
    /// <paramref name="valid"/>, with the arguments its ADD had; then, for spec 1.1, hand every plugin
    /// the valid attachments so it can drop the rest. Errors are collected, not stopped at. A null
    /// <paramref name="valid"/> (as cnitool passes) means none is valid and sends plugins no list.
    /// </summary>
    public void GarbageCollect(NetworkConfigList list, IReadOnlyCollection<(string ContainerId, string IfName)>? valid, CancellationToken cancellationToken = default)
    {
        if (list.DisableGc)
        {
            return;
        }

        var keep = valid?.ToHashSet() ?? [];
        var errors = new List<Exception>();
        foreach (var attachment in Cache.Attachments().Where(a => a.Network == list.Name))
        {
            if (keep.Contains((attachment.ContainerId, attachment.IfName)))
            {
                continue;
            }

            try
            {
                Delete(list, attachment.ToRuntimeConf(), cancellationToken);
            }
            catch (Exception ex) when (ex is CniPluginException or CniConfigException or IOException)
            {
                errors.Add(new CniConfigException($"failed to delete stale attachment {attachment.ContainerId} {attachment.IfName}: {ex.Message}", 0));
            }
        }

        if (CniVersion.AtLeast(list.CniVersion, "1.1.0"))
        {
            foreach (var plugin in list.Plugins)
            {
                try
                {
                    Invoker.Exec(Type(plugin), "GC", Stdin(PluginConfigBuilder.BuildGc(list, plugin, valid)), runtime: null, cancellationToken);
                }
                catch (Exception ex) when (ex is CniPluginException or CniConfigException)
                {
                    errors.Add(ex);
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException($"GC of network {list.Name} failed: {string.Join("; ", errors.Select(e => e.Message))}", errors);
        }
    }

    /// <summary>VERSION: which spec versions a plugin speaks (libcni GetVersionInfo).</summary>
    public IReadOnlyList<string> Versions(string type, CancellationToken cancellationToken = default)
    {
        byte[] output;
        try
        {
            output = Invoker.ExecWithEnvironment(type, "VERSION", Encoding.UTF8.GetBytes($"{{\"cniVersion\":\"{CniVersion.Current}\"}}"), PluginEnvironment.ForVersion(), cancellationToken);
        }
        catch (CniPluginException ex) when (ex.ReportedByPlugin && ex.PluginMessage == "unknown CNI_COMMAND: VERSION" && ex.Details.Length == 0)
        {
            return ["0.1.0"]; // a plugin older than the VERSION command
        }

        return DecodeVersionInfo(type, output);
    }

    /// <summary>
    /// libcni ValidateNetworkList: every plugin exists and supports the list's version; returns the
    /// capabilities the list's plugins declare. Throws one error listing every problem.
    /// </summary>
    public IReadOnlyList<string> ValidateNetworkList(NetworkConfigList list, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var capabilities = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var plugin in list.Plugins)
        {
            string type = Type(plugin);
            try
            {
                if (!Versions(type, cancellationToken).Contains(list.CniVersion))
                {
                    problems.Add($"plugin {type} does not support config version \"{list.CniVersion}\"");
                }
            }
            catch (CniPluginException ex)
            {
                problems.Add(ex.Message);
            }

            if (NetworkConfigList.Lookup(plugin, "capabilities") is JsonObject declared)
            {
                capabilities.UnionWith(declared.Where(p => p.Value?.GetValueKind() == JsonValueKind.True).Select(p => p.Key));
            }
        }

        return problems.Count == 0 ? capabilities.ToList() : throw new CniConfigException($"{list.Source}: {string.Join("; ", problems)}", 1);
    }

    /// <summary>libcni's PluginDecoder: cniVersion and supportedVersions (a bare 0.2.0 answer means 0.1.0 and 0.2.0).</summary>
    internal static IReadOnlyList<string> DecodeVersionInfo(string type, byte[] output)
    {
        try
        {
            var json = JsonNode.Parse(output) as JsonObject ?? throw new JsonException("not a JSON object");
            string version = json["cniVersion"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty;
            if (version.Length == 0)
            {
                throw new JsonException("missing field cniVersion");
            }

            var supported = (json["supportedVersions"] as JsonArray ?? []).Select(s => s?.GetValue<string>() ?? string.Empty).ToList();
            if (supported.Count > 0)
            {
                return supported;
            }

            return version == "0.2.0" ? ["0.1.0", "0.2.0"] : throw new JsonException("missing field supportedVersions");
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new CniPluginException(type, "VERSION", 0, $"decoding version info: {ex.Message}: {PluginInvoker.Excerpt(output)}");
        }
    }

    /// <summary>
    /// Strata's addition to libcni for CHECK and DEL: a caller that passes no CNI_ARGS or capability
    /// data (a restarted agent, `strata cni del` by hand) gets what ADD was given, from the cache, so
    /// portmap still finds its rules. Whatever the caller passes wins.
    /// </summary>
    private RuntimeConf WithCachedArguments(NetworkConfigList list, RuntimeConf runtime)
    {
        if (runtime.Args.Count > 0 && runtime.CapabilityArgs.Count > 0)
        {
            return runtime;
        }

        RuntimeConf? cached;
        try
        {
            (_, cached) = Cache.ReadConfig(list.Name, runtime);
        }
        catch (CniConfigException)
        {
            return runtime;
        }

        return cached is null ? runtime : runtime with
        {
            Args = runtime.Args.Count > 0 ? runtime.Args : cached.Args,
            CapabilityArgs = runtime.CapabilityArgs.Count > 0 ? runtime.CapabilityArgs : cached.CapabilityArgs,
        };
    }

    private static byte[] Stdin(JsonObject config) => GoJson.SerializeToUtf8(config);

    private static string Type(JsonObject plugin) => NetworkConfigList.Lookup(plugin, "type")!.GetValue<string>();
}
