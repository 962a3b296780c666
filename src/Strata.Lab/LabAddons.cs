using System.Reflection;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.GatewayApi;

namespace Strata.Lab;

/// <summary>One addon manifest: its file name under Addons/ and its text, tokens not yet substituted.</summary>
public sealed record AddonManifest(string File, string Text);

/// <summary>
/// The system pieces that deploy themselves as cluster objects (flannel's DaemonSet and ConfigMap, kube-proxy, DNS…),
/// from the manifests under <c>src/Strata.Lab/Addons</c>, as kubeadm and kubespray apply theirs after the control plane.
/// Rendering is pure: <c>${TOKEN}</c>s become the lab's settings, and a token it does not know is an error naming the
/// file and line, so a manifest never reaches the cluster half-rendered.
/// </summary>
public static partial class LabAddons
{
    private const string ResourcePrefix = "Addons/";

    private static readonly Type[] Kinds =
    [
        typeof(V1Namespace), typeof(V1ConfigMap), typeof(V1ServiceAccount), typeof(V1Service), typeof(V1DaemonSet), typeof(V1Deployment), typeof(V1IngressClass),
        typeof(V1CustomResourceDefinition), typeof(V1GatewayClass),
    ];

    /// <summary>The manifests built into this assembly, in file-name order.</summary>
    public static IReadOnlyList<AddonManifest> BuiltIn { get; } = LoadBuiltIn();

    /// <summary>The tokens a manifest may use and the lab's value for each.</summary>
    public static IReadOnlyDictionary<string, string> Tokens(LabSpec spec) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CLUSTER_CIDR"] = spec.ClusterCidr.ToString(),
        ["SERVICE_CIDR"] = spec.ServiceCidr.ToString(),
        ["CLUSTER_DNS"] = spec.ClusterDns.ToString(),
        ["CLUSTER_DOMAIN"] = spec.ClusterDomain,
        ["BACKEND"] = spec.Backend,
        ["PROXY_MODE"] = spec.ProxyMode,
        ["LOAD_BALANCER_POOL"] = spec.LoadBalancerPoolText,
    };

    /// <summary>The manifest with every token substituted.</summary>
    public static string Render(AddonManifest manifest, IReadOnlyDictionary<string, string> tokens)
    {
        var lines = manifest.Text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int line = i + 1;
            lines[i] = Token().Replace(lines[i], m => tokens.TryGetValue(m.Groups[1].Value, out var value)
                ? value
                : throw new LabException($"addon {manifest.File}, line {line}: unknown token ${{{m.Groups[1].Value}}} (known: {string.Join(", ", tokens.Keys)})"));
        }

        return string.Join('\n', lines);
    }

    /// <summary>The objects of a rendered manifest, in document order; a document that is not a known kind is an error.</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Parse(string file, string rendered)
    {
        List<object> documents;
        try
        {
            documents = KubernetesYaml.LoadAllFromString(rendered, GatewayApiTypes.WithBuiltIn);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            throw new LabException($"addon {file}: {e.Message}", e);
        }

        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        for (int i = 0; i < documents.Count; i++)
        {
            if (documents[i] is not IKubernetesObject<V1ObjectMeta> { Metadata.Name: { Length: > 0 } } obj)
            {
                throw new LabException($"addon {file}, document {i + 1}: not a Kubernetes object with metadata.name");
            }

            if (!Kinds.Contains(obj.GetType()))
            {
                throw new LabException($"addon {file}, document {i + 1}: kind {obj.Kind} is not one the lab applies ({string.Join(", ", Kinds.Select(k => k.Name[2..]))})");
            }

            objects.Add(obj);
        }

        return objects;
    }

    /// <summary>Creates each object, or replaces the one that exists (its resourceVersion carried over).</summary>
    public static async Task ApplyAsync(IKubeClient client, string file, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects, CancellationToken cancellationToken = default)
    {
        foreach (var obj in objects)
        {
            try
            {
                await ApplyAsync(client, obj, cancellationToken);
            }
            catch (KubeApiException e)
            {
                string name = obj.Metadata.NamespaceProperty is { } ns ? $"{ns}/{obj.Metadata.Name}" : obj.Metadata.Name;
                throw new LabException($"addon {file}: {obj.Kind} {name}: {e.Message}", e);
            }
        }
    }

    private static Task ApplyAsync(IKubeClient client, IKubernetesObject<V1ObjectMeta> obj, CancellationToken cancellationToken) =>
        obj switch
        {
            V1Namespace o => ApplyOneAsync(client, o, cancellationToken),
            V1ConfigMap o => ApplyOneAsync(client, o, cancellationToken),
            V1ServiceAccount o => ApplyOneAsync(client, o, cancellationToken),
            V1Service o => ApplyOneAsync(client, o, cancellationToken),
            V1DaemonSet o => ApplyOneAsync(client, o, cancellationToken),
            V1Deployment o => ApplyOneAsync(client, o, cancellationToken),
            V1IngressClass o => ApplyOneAsync(client, o, cancellationToken),
            V1CustomResourceDefinition o => ApplyOneAsync(client, o, cancellationToken),
            V1GatewayClass o => ApplyOneAsync(client, o, cancellationToken),
            _ => throw new System.Diagnostics.UnreachableException($"Parse admitted kind {obj.Kind}"),
        };

    private static async Task ApplyOneAsync<T>(IKubeClient client, T obj, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            await client.CreateAsync(obj, cancellationToken);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await client.GetAsync<T>(obj.Metadata.NamespaceProperty, obj.Metadata.Name, cancellationToken);
            obj.Metadata.ResourceVersion = existing?.Metadata.ResourceVersion;
            await client.UpdateAsync(obj, cancellationToken);
        }
    }

    private static List<AddonManifest> LoadBuiltIn()
    {
        var assembly = typeof(LabAddons).Assembly;
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => new AddonManifest(n[ResourcePrefix.Length..], Read(assembly, n)))];
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"\$\{([A-Za-z0-9_]+)\}")]
    private static partial Regex Token();
}
