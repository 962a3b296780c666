using System.Text;
using k8s.Models;
using Strata.Agent.Runtime;
using Strata.Controllers.Client;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>One file of a projected volume: its path inside the volume, its bytes and its mode.</summary>
public sealed record ProjectedFile(string Path, byte[] Content, int Mode);

/// <summary>Where a projected volume's sources are read from: the API, for the kubelet.</summary>
public interface IProjectedSources
{
    Task<V1ConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken);

    Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken);
}

/// <summary>The kubelet's sources: objects and TokenRequests through its API client.</summary>
public sealed class ApiProjectedSources(IKubeClient client) : IProjectedSources
{
    public Task<V1ConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken cancellationToken) => client.GetAsync<V1ConfigMap>(ns, name, cancellationToken);

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken) => client.GetAsync<V1Secret>(ns, name, cancellationToken);

    public Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken) =>
        client is ITokenRequester requester
            ? requester.RequestTokenAsync(ns, serviceAccount, request, cancellationToken)
            : throw new InvalidOperationException("this kubelet's API client cannot request service account tokens");
}

/// <summary>
/// Projected volumes (pkg/volume/projected/projected.go collectData): the files of their serviceAccountToken, configMap,
/// secret and downwardAPI sources, gathered before the sandbox is made and written under the pod's directory, from
/// where the volume is bound read-only into the pod. Tokens are bound to the pod. Files are written once per sandbox:
/// the kube-api-access token the API server issues lasts a year (its extended expiration), so it is not rotated.
/// </summary>
public static class ProjectedVolumes
{
    /// <summary>Gathers and writes every projected volume of <paramref name="pod"/>; a source that cannot be read is a <see cref="VolumeMountException"/>.</summary>
    public static async Task PrepareAsync(V1Pod pod, PodPaths paths, IProjectedSources sources, CancellationToken cancellationToken)
    {
        foreach (var volume in (pod.Spec.Volumes ?? []).Where(v => v.Projected is not null))
        {
            var files = await CollectAsync(pod, volume, sources, cancellationToken);
            Write(paths.ProjectedVolume(pod.Metadata.Uid, volume.Name), files);
        }
    }

    public static async Task<IReadOnlyList<ProjectedFile>> CollectAsync(V1Pod pod, V1Volume volume, IProjectedSources sources, CancellationToken cancellationToken)
    {
        var projected = volume.Projected!;
        int defaultMode = projected.DefaultMode ?? 420;
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        var files = new List<ProjectedFile>();
        foreach (var source in projected.Sources ?? [])
        {
            try
            {
                if (source.ServiceAccountToken is { } tokenSource)
                {
                    var account = string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
                    var token = await sources.RequestTokenAsync(ns, account,
                        new ServiceAccountTokenRequest(string.IsNullOrEmpty(tokenSource.Audience) ? [] : [tokenSource.Audience], tokenSource.ExpirationSeconds ?? 3600, pod.Metadata.Name, pod.Metadata.Uid),
                        cancellationToken);
                    files.Add(new ProjectedFile(tokenSource.Path, Encoding.UTF8.GetBytes(token.Token), defaultMode));
                }
                else if (source.ConfigMap is { } configMapSource)
                {
                    var configMap = await sources.GetConfigMapAsync(ns, configMapSource.Name, cancellationToken);
                    if (configMap is null)
                    {
                        if (configMapSource.Optional == true)
                        {
                            continue;
                        }

                        throw new VolumeMountException(volume.Name, $"configmap \"{configMapSource.Name}\" not found");
                    }

                    var data = (configMap.Data ?? new Dictionary<string, string>()).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value), StringComparer.Ordinal);
                    foreach (var (key, bytes) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
                    {
                        data[key] = bytes;
                    }

                    files.AddRange(Items(volume.Name, "configmap", configMapSource.Name, data, configMapSource.Items, configMapSource.Optional == true, defaultMode));
                }
                else if (source.Secret is { } secretSource)
                {
                    var secret = await sources.GetSecretAsync(ns, secretSource.Name, cancellationToken);
                    if (secret is null)
                    {
                        if (secretSource.Optional == true)
                        {
                            continue;
                        }

                        throw new VolumeMountException(volume.Name, $"secret \"{secretSource.Name}\" not found");
                    }

                    var data = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                    files.AddRange(Items(volume.Name, "secret", secretSource.Name, data, secretSource.Items, secretSource.Optional == true, defaultMode));
                }
                else if (source.DownwardAPI is { } downward)
                {
                    foreach (var item in downward.Items ?? [])
                    {
                        var path = item.FieldRef?.FieldPath
                            ?? throw new VolumeMountException(volume.Name, $"downwardAPI item \"{item.Path}\": only fieldRef is supported by Strata's kubelet");
                        var value = DownwardValue(pod, path)
                            ?? throw new VolumeMountException(volume.Name, $"downwardAPI item \"{item.Path}\": unsupported fieldPath \"{path}\"");
                        files.Add(new ProjectedFile(item.Path, Encoding.UTF8.GetBytes(value), item.Mode ?? defaultMode));
                    }
                }
            }
            catch (KubeApiException e)
            {
                throw new VolumeMountException(volume.Name, source.ServiceAccountToken is not null ? $"failed to fetch token: {e.Message}" : e.Message);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
            {
                // The API unreachable, or a client that cannot ask: retried with the sandbox's back-off, as any failed mount.
                throw new VolumeMountException(volume.Name, e.Message);
            }
        }

        foreach (var file in files)
        {
            if (Path.IsPathRooted(file.Path) || file.Path.Split('/').Contains(".."))
            {
                throw new VolumeMountException(volume.Name, $"path \"{file.Path}\" must be relative and may not contain '..'");
            }
        }

        return files;
    }

    /// <summary>Writes the files into <paramref name="directory"/>, replacing what an earlier sandbox of the pod left there.</summary>
    public static void Write(string directory, IReadOnlyList<ProjectedFile> files)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)file.Mode);
            }
        }
    }

    // volume.go's makePayload for configMap and secret sources: every key, or the listed items (a missing key is an error unless optional).
    private static IEnumerable<ProjectedFile> Items(string volume, string kind, string name, Dictionary<string, byte[]> data, IList<V1KeyToPath>? items, bool optional, int defaultMode)
    {
        if (items is null || items.Count == 0)
        {
            return data.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new ProjectedFile(kv.Key, kv.Value, defaultMode)).ToList();
        }

        var files = new List<ProjectedFile>();
        foreach (var item in items)
        {
            if (!data.TryGetValue(item.Key, out var bytes))
            {
                if (optional)
                {
                    continue;
                }

                throw new VolumeMountException(volume, $"{kind} {name} references non-existent config key: {item.Key}");
            }

            files.Add(new ProjectedFile(item.Path, bytes, item.Mode ?? defaultMode));
        }

        return files;
    }

    // The downward API fields a volume may name (pkg/fieldpath ExtractFieldPathAsString): labels and annotations as key="value" lines.
    private static string? DownwardValue(V1Pod pod, string path) => path switch
    {
        "metadata.name" => pod.Metadata.Name,
        "metadata.namespace" => pod.Metadata.NamespaceProperty ?? "default",
        "metadata.uid" => pod.Metadata.Uid,
        "metadata.labels" => FormatMap(pod.Metadata.Labels),
        "metadata.annotations" => FormatMap(pod.Metadata.Annotations),
        _ when path.StartsWith("metadata.labels['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            pod.Metadata.Labels?.TryGetValue(path["metadata.labels['".Length..^2], out var label) == true ? label : string.Empty,
        _ when path.StartsWith("metadata.annotations['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) =>
            pod.Metadata.Annotations?.TryGetValue(path["metadata.annotations['".Length..^2], out var annotation) == true ? annotation : string.Empty,
        _ => null,
    };

    private static string FormatMap(IDictionary<string, string>? map) =>
        string.Join("\n", (map ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}={GoQuote(kv.Value)}"));

    // Go's %q for the printable text labels and annotations hold.
    private static string GoQuote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r") + "\"";
}
