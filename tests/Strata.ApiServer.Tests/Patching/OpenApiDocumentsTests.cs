using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Strata.ApiServer.OpenApi;

namespace Strata.ApiServer.Tests.Patching;

public class OpenApiDocumentsTests
{
    private static readonly OpenApiDocuments _shared = OpenApiDocuments.CreateDefault();

    [Fact]
    public void V2DocumentHasTheServedDefinitionsAndPaths()
    {
        var v2 = JsonNode.Parse(_shared.V2Json)!;
        Assert.Equal("2.0", (string?)v2["swagger"]);
        var definitions = v2["definitions"]!.AsObject();
        Assert.True(definitions.ContainsKey("io.k8s.api.core.v1.Pod"));
        Assert.True(definitions.ContainsKey("io.k8s.api.networking.v1.NetworkPolicy"));
        Assert.True(definitions.ContainsKey("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        Assert.True(definitions.ContainsKey("io.k8s.apimachinery.pkg.version.Info"));
        Assert.False(definitions.ContainsKey("io.k8s.api.batch.v1.Job"));
        var paths = v2["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/v1/namespaces/{namespace}/pods/{name}"));
        Assert.False(paths.ContainsKey("/api/v1/namespaces/{namespace}/pods/{name}/exec"));
        Assert.Equal(Convert.ToHexString(SHA512.HashData(_shared.V2Json)), _shared.V2Hash);
    }

    [Fact]
    public void EveryReferenceResolves()
    {
        AssertReferencesResolve(JsonNode.Parse(_shared.V2Json)!, "#/definitions/", "definitions");
        foreach (var path in _shared.V3Paths)
        {
            Assert.True(_shared.TryGetV3Document(path, out var doc));
            var node = JsonNode.Parse(doc.Json)!;
            AssertReferencesResolve(node, "#/components/schemas/", "components", "schemas");
        }
    }

    [Fact]
    public void V3IndexListsEachGroupVersionWithItsHash()
    {
        var index = JsonNode.Parse(_shared.V3DiscoveryJson)!["paths"]!.AsObject();
        Assert.Equal(OpenApiDocuments.BuiltInV3Paths.Append("apis/networking.k8s.io/v1beta1").OrderBy(p => p, StringComparer.Ordinal), index.Select(p => p.Key));
        Assert.True(_shared.TryGetV3Document("apis/apps/v1", out var apps));
        Assert.Equal(128, apps.Hash.Length);
        Assert.Equal(Convert.ToHexString(SHA512.HashData(apps.Json)), apps.Hash);
        Assert.Equal($"/openapi/v3/apis/apps/v1?hash={apps.Hash}", (string?)index["apis/apps/v1"]!["serverRelativeURL"]);
        var doc = JsonNode.Parse(apps.Json)!;
        Assert.Equal("3.0.0", (string?)doc["openapi"]);
        Assert.NotNull(doc["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]);
    }

    [Fact]
    public void TheV1Beta1IngressDocumentHasV1Beta1sBackend()
    {
        Assert.True(_shared.TryGetV3Document("apis/networking.k8s.io/v1beta1", out var beta));
        var schemas = JsonNode.Parse(beta.Json)!["components"]!["schemas"]!;
        var backend = schemas["io.k8s.api.networking.v1beta1.IngressBackend"]!["properties"]!.AsObject();
        Assert.Equal(["resource", "serviceName", "servicePort"], backend.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.NotNull(schemas["io.k8s.api.networking.v1beta1.IngressSpec"]!["properties"]!["backend"]);
        Assert.Equal("v1beta1", (string?)schemas["io.k8s.api.networking.v1beta1.Ingress"]!["x-kubernetes-group-version-kind"]![0]!["version"]);
        Assert.Null(schemas["io.k8s.api.networking.v1.Ingress"]);
        Assert.Null(schemas["io.k8s.api.networking.v1beta1.IngressClass"]);
    }

    [Fact]
    public void CustomResourcesGetAV3DocumentAndV2Definitions()
    {
        var documents = OpenApiDocuments.CreateDefault();
        var before = documents.V3DiscoveryHash;
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{"cronSpec":{"type":"string"},"replicas":{"type":"integer","nullable":true}}}}}
            """)!.AsObject();
        documents.AddCustomResource(new CustomResourceSchema("stable.example.com", "v1", "CronTab", "crontabs", true, schema));

        Assert.NotEqual(before, documents.V3DiscoveryHash);
        Assert.True(documents.TryGetV3Document("apis/stable.example.com/v1", out var doc));
        var v3 = JsonNode.Parse(doc.Json)!;
        var schemas = v3["components"]!["schemas"]!.AsObject();
        var cronTab = schemas["com.example.stable.v1.CronTab"]!;
        Assert.Equal("CronTab", (string?)cronTab["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.NotNull(cronTab["properties"]!["spec"]!["properties"]!["cronSpec"]);
        Assert.NotNull(schemas["com.example.stable.v1.CronTabList"]);
        AssertReferencesResolve(v3, "#/components/schemas/", "components", "schemas");

        // kubectl looks for a PATCH operation of the GVK with a fieldValidation query parameter.
        var item = v3["paths"]!["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]!;
        var patch = item["patch"]!;
        Assert.Equal("CronTab", (string?)patch["x-kubernetes-group-version-kind"]!["kind"]);
        Assert.Equal("stable.example.com", (string?)patch["x-kubernetes-group-version-kind"]!["group"]);
        Assert.Contains(patch["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation" && (string?)p["in"] == "query");
        Assert.Equal("patchStableExampleComV1NamespacedCronTab", (string?)patch["operationId"]);
        Assert.Contains(
            "#/components/schemas/com.example.stable.v1.CronTab",
            patch["responses"]!["200"]!.ToJsonString(),
            StringComparison.Ordinal);

        var v2 = JsonNode.Parse(documents.V2Json)!;
        var v2Schema = v2["definitions"]!["com.example.stable.v1.CronTab"]!;
        Assert.Null(v2Schema["properties"]!["spec"]!["properties"]!["replicas"]!["nullable"]);
        AssertReferencesResolve(v2, "#/definitions/", "definitions");

        Assert.True(documents.RemoveCustomResource("stable.example.com", "v1", "CronTab"));
        Assert.False(documents.TryGetV3Document("apis/stable.example.com/v1", out _));
        Assert.Equal(before, documents.V3DiscoveryHash);
    }

    [Fact]
    public void ClusterScopedCustomResourcesHaveNoNamespacePaths()
    {
        var documents = OpenApiDocuments.CreateDefault();
        documents.AddCustomResource(new CustomResourceSchema("example.com", "v1alpha1", "Widget", "widgets", false, null));
        Assert.True(documents.TryGetV3Document("apis/example.com/v1alpha1", out var doc));
        var paths = JsonNode.Parse(doc.Json)!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/apis/example.com/v1alpha1/widgets/{name}", paths);
        Assert.DoesNotContain(paths, p => p.Contains("{namespace}", StringComparison.Ordinal));
    }

    private static void AssertReferencesResolve(JsonNode document, string prefix, params string[] container)
    {
        JsonNode definitions = document;
        foreach (var step in container)
        {
            definitions = definitions[step]!;
        }

        var names = definitions.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        Walk(document);
        Assert.Empty(missing);

        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key == "$ref" && value is JsonValue v && v.GetValue<string>() is var r && r.StartsWith(prefix, StringComparison.Ordinal)
                            && !names.Contains(r[prefix.Length..]))
                        {
                            missing.Add(r);
                        }

                        Walk(value);
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        Walk(item);
                    }

                    break;
            }
        }
    }
}
