using System.Text.Json.Nodes;

namespace Strata.ApiServer.Resources;

/// <summary>
/// What the server serves: the built-in resources plus those of established CustomResourceDefinitions.
/// Readers see an immutable snapshot that is swapped whole when a CRD changes.
/// </summary>
public sealed class ResourceCatalog
{
    // The order kube-apiserver lists groups in (kube-aggregator's group priorities), then custom groups by name.
    private static readonly string[] GroupOrder = ["", "apps", "networking.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io"];

    private volatile Snapshot _snapshot = new(BuiltinResources.All, new Dictionary<string, IReadOnlyList<ResourceInfo>>(), new Dictionary<string, JsonObject>());

    /// <summary>Raised after the served set changed (a CRD was established or removed).</summary>
    public event Action? Changed;

    public IReadOnlyList<ResourceInfo> All => _snapshot.All;

    /// <summary>The served CustomResourceDefinitions, by name.</summary>
    public IReadOnlyDictionary<string, JsonObject> CustomDefinitions => _snapshot.Definitions;

    public ResourceInfo? Find(string group, string version, string resource) =>
        _snapshot.All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Resource == resource);

    public ResourceInfo? FindKind(string group, string version, string kind) =>
        _snapshot.All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Kind == kind);

    public ResourceInfo Get(string group, string resource) =>
        _snapshot.All.First(r => r.Group == group && r.Resource == resource);

    /// <summary>The <c>openAPIV3Schema</c> of a custom resource's version, if its CRD gives one.</summary>
    public JsonObject? CustomSchema(ResourceInfo resource)
    {
        var crd = _snapshot.Definitions.Values.FirstOrDefault(c =>
            (string?)c["spec"]?["group"] == resource.Group && (string?)c["spec"]?["names"]?["plural"] == resource.Resource);
        var version = crd?["spec"]?["versions"]?.AsArray().FirstOrDefault(v => (string?)v?["name"] == resource.Version);
        return version?["schema"]?["openAPIV3Schema"] as JsonObject;
    }

    /// <summary>Groups in discovery order, each with its versions in preference order.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var all = _snapshot.All;
        return all.Select(r => r.Group).Distinct()
            .OrderBy(g => Array.IndexOf(GroupOrder, g) is var i && i >= 0 ? i : GroupOrder.Length)
            .ThenBy(g => g, StringComparer.Ordinal)
            .Select(g => (g, (IReadOnlyList<string>)all.Where(r => r.Group == g).Select(r => r.Version).Distinct()
                .OrderBy(v => v, KubeVersionComparer.Instance).ToList()))
            .ToList();
    }

    /// <summary>Serves (or stops serving, when <paramref name="crd"/> is null) the resources of the CRD named <paramref name="name"/>.</summary>
    public void SetCustomResource(string name, JsonObject? crd)
    {
        lock (this)
        {
            var custom = new Dictionary<string, IReadOnlyList<ResourceInfo>>(_snapshot.Custom);
            var definitions = new Dictionary<string, JsonObject>(_snapshot.Definitions);
            if (crd is null)
            {
                custom.Remove(name);
                definitions.Remove(name);
            }
            else
            {
                custom[name] = FromDefinition(crd);
                definitions[name] = crd.DeepClone().AsObject();
            }

            _snapshot = new Snapshot([.. BuiltinResources.All, .. custom.Values.SelectMany(v => v)], custom, definitions);
        }

        Changed?.Invoke();
    }

    /// <summary>The served versions of a CRD (apiextensions.k8s.io/v1), one <see cref="ResourceInfo"/> each.</summary>
    public static IReadOnlyList<ResourceInfo> FromDefinition(JsonObject crd)
    {
        var spec = crd["spec"]!.AsObject();
        var names = spec["names"]!.AsObject();
        var group = (string)spec["group"]!;
        var namespaced = (string?)spec["scope"] == "Namespaced";
        var list = new List<ResourceInfo>();
        foreach (var version in spec["versions"]?.AsArray() ?? [])
        {
            if (version?["served"]?.GetValue<bool>() != true)
            {
                continue;
            }

            var subresources = new List<string>();
            if (version["subresources"]?["status"] is not null)
            {
                subresources.Add("status");
            }

            if (version["subresources"]?["scale"] is not null)
            {
                subresources.Add("scale");
            }

            list.Add(new ResourceInfo(
                group,
                (string)version["name"]!,
                (string)names["plural"]!,
                (string)names["kind"]!,
                namespaced,
                Strings(names["shortNames"]),
                Strings(names["categories"]),
                subresources)
            {
                IsCustom = true,
                TracksGeneration = true,
                Singular = (string?)names["singular"] ?? ((string)names["kind"]!).ToLowerInvariant(),
                ListKind = (string?)names["listKind"] ?? (string)names["kind"]! + "List",
                PrinterColumns = version["additionalPrinterColumns"]?.DeepClone().AsArray(),
            });
        }

        return list;
    }

    private static string[] Strings(JsonNode? node) => node?.AsArray().Select(n => (string)n!).ToArray() ?? [];

    private sealed record Snapshot(
        IReadOnlyList<ResourceInfo> All,
        IReadOnlyDictionary<string, IReadOnlyList<ResourceInfo>> Custom,
        IReadOnlyDictionary<string, JsonObject> Definitions);
}

/// <summary>
/// Kubernetes' version priority (apimachinery/pkg/version/helpers.go CompareKubeAwareVersionStrings): GA before beta
/// before alpha, higher numbers first, then anything that does not look like a Kubernetes version, by name.
/// </summary>
public sealed class KubeVersionComparer : IComparer<string>
{
    public static readonly KubeVersionComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        var (xKnown, xMajor, xStage, xMinor) = Parse(x ?? "");
        var (yKnown, yMajor, yStage, yMinor) = Parse(y ?? "");
        if (xKnown != yKnown)
        {
            return xKnown ? -1 : 1;
        }

        if (!xKnown)
        {
            return string.CompareOrdinal(x, y);
        }

        if (xStage != yStage)
        {
            return xStage.CompareTo(yStage);
        }

        if (xMajor != yMajor)
        {
            return yMajor.CompareTo(xMajor);
        }

        return yMinor.CompareTo(xMinor);
    }

    private static (bool Known, int Major, int Stage, int Minor) Parse(string v)
    {
        var m = System.Text.RegularExpressions.Regex.Match(v, "^v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?$");
        if (!m.Success)
        {
            return (false, 0, 0, 0);
        }

        var stage = m.Groups[2].Value switch { "" => 0, "beta" => 1, _ => 2 };
        return (true, int.Parse(m.Groups[1].Value), stage, m.Groups[3].Success && m.Groups[3].Length > 0 ? int.Parse(m.Groups[3].Value) : 0);
    }
}
