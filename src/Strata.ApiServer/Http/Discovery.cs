using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Http;

/// <summary>
/// The discovery documents: the legacy ones (APIVersions, APIGroupList, APIGroup, APIResourceList) and aggregated
/// discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), as kube-apiserver's endpoints/discovery package serves them.
/// </summary>
public static class Discovery
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceCatalog catalog) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(catalog.Groups().Where(g => g.Group.Length > 0).Select(g => (JsonNode)Group(g.Group, g.Versions)).ToArray()),
    };

    public static JsonObject? Group(ResourceCatalog catalog, string group)
    {
        var found = catalog.Groups().FirstOrDefault(g => g.Group == group);
        if (found.Group is null || group.Length == 0)
        {
            return null;
        }

        var document = Group(found.Group, found.Versions);
        document["kind"] = "APIGroup";
        document["apiVersion"] = "v1";
        return document;
    }

    public static JsonObject? ResourceList(ResourceCatalog catalog, string group, string version)
    {
        var resources = catalog.All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
        {
            return null;
        }

        var list = new JsonArray();
        foreach (var r in resources)
        {
            var entry = new JsonObject
            {
                ["name"] = r.Resource,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = Strings(ResourceInfo.Verbs),
            };
            if (r.ShortNames.Count > 0)
            {
                entry["shortNames"] = Strings(r.ShortNames);
            }

            if (r.Categories.Count > 0)
            {
                entry["categories"] = Strings(r.Categories);
            }

            list.Add(entry);
            foreach (var sub in r.Subresources)
            {
                var (kind, verbs) = Subresource(r, sub);
                var subEntry = new JsonObject
                {
                    ["name"] = $"{r.Resource}/{sub}",
                    ["singularName"] = "",
                    ["namespaced"] = r.Namespaced,
                    ["kind"] = kind.Kind,
                    ["verbs"] = Strings(verbs),
                };
                if (kind.Group != r.Group || kind.Version != r.Version)
                {
                    subEntry["group"] = kind.Group;
                    subEntry["version"] = kind.Version;
                }

                list.Add(subEntry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        };
    }

    /// <summary>APIGroupDiscoveryList for <c>/api</c> (<paramref name="legacy"/>) or <c>/apis</c>.</summary>
    public static JsonObject Aggregated(ResourceCatalog catalog, bool legacy)
    {
        var items = new JsonArray();
        foreach (var (group, versions) in catalog.Groups().Where(g => (g.Group.Length == 0) == legacy))
        {
            var versionList = new JsonArray();
            foreach (var version in versions)
            {
                var resources = new JsonArray();
                foreach (var r in catalog.All.Where(r => r.Group == group && r.Version == version))
                {
                    var entry = new JsonObject
                    {
                        ["resource"] = r.Resource,
                        ["responseKind"] = Gvk(r.Group, r.Version, r.Kind),
                        ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = r.Singular,
                        ["verbs"] = Strings(ResourceInfo.Verbs),
                    };
                    if (r.ShortNames.Count > 0)
                    {
                        entry["shortNames"] = Strings(r.ShortNames);
                    }

                    if (r.Categories.Count > 0)
                    {
                        entry["categories"] = Strings(r.Categories);
                    }

                    if (r.Subresources.Count > 0)
                    {
                        entry["subresources"] = new JsonArray(r.Subresources.Select(sub =>
                        {
                            var (kind, verbs) = Subresource(r, sub);
                            return (JsonNode)new JsonObject
                            {
                                ["subresource"] = sub,
                                ["responseKind"] = Gvk(kind.Group, kind.Version, kind.Kind),
                                ["verbs"] = Strings(verbs),
                            };
                        }).ToArray());
                    }

                    resources.Add(entry);
                }

                versionList.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null },
                ["versions"] = versionList,
            });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    /// <summary>Whether the Accept header asks for aggregated discovery v2 (kubectl ≥ 1.26 lists it first).</summary>
    public static bool WantsAggregated(string? accept) =>
        accept is not null && MediaType.ParseAccept(accept).Any(m =>
            m.Parameters.TryGetValue("g", out var g) && g == "apidiscovery.k8s.io" &&
            m.Parameters.TryGetValue("v", out var v) && v == "v2" &&
            m.Parameters.TryGetValue("as", out var @as) && @as == "APIGroupDiscoveryList");

    private static JsonObject Group(string group, IReadOnlyList<string> versions)
    {
        var list = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToArray());
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    private static ((string Group, string Version, string Kind) Kind, string[] Verbs) Subresource(ResourceInfo r, string sub) => sub switch
    {
        "status" => ((r.Group, r.Version, r.Kind), ["get", "patch", "update"]),
        "scale" => (("autoscaling", "v1", "Scale"), ["get", "patch", "update"]),
        "binding" => (("", "v1", "Binding"), ["create"]),
        "token" => (("authentication.k8s.io", "v1", "TokenRequest"), ["create"]),
        "finalize" => ((r.Group, r.Version, r.Kind), ["update"]),
        "log" => (("", "v1", "Pod"), ["get"]),
        "exec" => (("", "v1", "PodExecOptions"), ["create", "get"]),
        "proxy" => (("", "v1", "NodeProxyOptions"), ["create", "delete", "get", "patch", "update"]),
        _ => ((r.Group, r.Version, r.Kind), ["get"]),
    };

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
