using k8s.Models;
using Strata.Controllers.Client;
using Strata.Flannel.Config;

namespace Strata.Flannel;

/// <summary>Reads net-conf.json from a file, or from the ConfigMap kube-flannel/kube-flannel-cfg as kube-flannel.yml mounts it.</summary>
public static class NetConfSource
{
    public const string CniConfKey = "cni-conf.json";

    /// <summary>The ConfigMap's cni-conf.json, or null when net-conf.json comes from a file or the key is absent.</summary>
    public static async Task<string?> LoadCniConfAsync(IKubeClient client, string? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            return null;
        }

        var map = await client.GetAsync<V1ConfigMap>(NetConf.DefaultConfigMapNamespace, NetConf.DefaultConfigMapName, cancellationToken);
        return map?.Data?.TryGetValue(CniConfKey, out var json) == true ? json : null;
    }

    public static async Task<NetConf> LoadAsync(IKubeClient client, string? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(file, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new NetConfException($"--net-conf {file}: {e.Message}");
            }

            return NetConfParser.Parse(text, file);
        }

        string where = $"ConfigMap {NetConf.DefaultConfigMapNamespace}/{NetConf.DefaultConfigMapName}";
        var map = await client.GetAsync<V1ConfigMap>(NetConf.DefaultConfigMapNamespace, NetConf.DefaultConfigMapName, cancellationToken)
            ?? throw new NetConfException($"{where} does not exist (create it, as kube-flannel.yml does, or pass --net-conf FILE)");
        if (map.Data?.TryGetValue(NetConf.ConfigMapKey, out var json) != true || json is null)
        {
            throw new NetConfException($"{where} has no key {NetConf.ConfigMapKey}");
        }

        return NetConfParser.Parse(json, $"{where} key {NetConf.ConfigMapKey}");
    }
}
