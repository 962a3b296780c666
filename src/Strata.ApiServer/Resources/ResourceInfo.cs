namespace Strata.ApiServer.Resources;

/// <summary>One served resource of one group-version, as discovery describes it (metav1.APIResource).</summary>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Resource,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Subresources)
{
    public static readonly IReadOnlyList<string> Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary><c>v1</c> for the core group, else <c>group/version</c>.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    private readonly string? _singular;
    private readonly string? _listKind;

    public string Singular { get => _singular ?? Kind.ToLowerInvariant(); init => _singular = value; }

    public string ListKind { get => _listKind ?? Kind + "List"; init => _listKind = value; }

    /// <summary>A custom resource's <c>additionalPrinterColumns</c> (apiextensions/v1 CustomResourceColumnDefinition).</summary>
    public System.Text.Json.Nodes.JsonArray? PrinterColumns { get; init; }

    /// <summary>A custom resource, served from a CustomResourceDefinition.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Whether the object has a spec/status split, so that writes to one keep the other.</summary>
    public bool HasStatus => Subresources.Contains("status");

    /// <summary>Whether <c>metadata.generation</c> counts spec changes (upstream's strategies for these kinds do).</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>
    /// The storage prefix, as kube-apiserver lays out etcd: <c>/registry/&lt;resource&gt;/</c> for built-in kinds
    /// (<c>services/specs</c> and <c>services/endpoints</c> for the two Service tables), and
    /// <c>/registry/&lt;group&gt;/&lt;resource&gt;/</c> for custom resources.
    /// </summary>
    public string StoragePrefix => IsCustom
        ? $"/registry/{Group}/{Resource}/"
        : Resource switch
        {
            "services" => "/registry/services/specs/",
            "endpoints" => "/registry/services/endpoints/",
            _ => $"/registry/{Resource}/",
        };

    public string Key(string? ns, string name) => Namespaced ? $"{StoragePrefix}{ns}/{name}" : $"{StoragePrefix}{name}";

    public string Prefix(string? ns) => Namespaced && ns is not null ? $"{StoragePrefix}{ns}/" : StoragePrefix;

    /// <summary>The resource with its group, as errors name it: <c>services</c>, <c>deployments.apps</c>.</summary>
    public string QualifiedResource => Group.Length == 0 ? Resource : $"{Resource}.{Group}";
}
