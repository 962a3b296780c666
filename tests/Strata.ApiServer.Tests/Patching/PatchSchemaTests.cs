using System.Text.Json.Nodes;
using Strata.ApiServer.Patching;

namespace Strata.ApiServer.Tests.Patching;

public class PatchSchemaTests
{
    [Theory]
    [InlineData("", "v1", "Pod", "io.k8s.api.core.v1.Pod")]
    [InlineData("", "v1", "Service", "io.k8s.api.core.v1.Service")]
    [InlineData("apps", "v1", "Deployment", "io.k8s.api.apps.v1.Deployment")]
    [InlineData("discovery.k8s.io", "v1", "EndpointSlice", "io.k8s.api.discovery.v1.EndpointSlice")]
    [InlineData("networking.k8s.io", "v1", "Ingress", "io.k8s.api.networking.v1.Ingress")]
    [InlineData("coordination.k8s.io", "v1", "Lease", "io.k8s.api.coordination.v1.Lease")]
    [InlineData("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition")]
    public void MapsGroupVersionKindToDefinition(string group, string version, string kind, string definition)
    {
        Assert.True(PatchSchema.Kubernetes.TryGetDefinitionName(group, version, kind, out var name));
        Assert.Equal(definition, name);
        Assert.True(PatchSchema.Kubernetes.IsKnown(definition));
    }

    [Fact]
    public void CustomResourcesAreNotKnown()
    {
        Assert.False(PatchSchema.Kubernetes.TryGetDefinitionName("stable.example.com", "v1", "CronTab", out _));
        Assert.False(PatchSchema.Kubernetes.IsKnown("com.example.stable.v1.CronTab"));
    }

    [Theory]
    [InlineData("io.k8s.api.core.v1.Pod", "spec.containers", "name", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "spec.containers.ports", "containerPort", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "spec.containers.env", "name", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "spec.volumes", "name", "merge,retainKeys")]
    [InlineData("io.k8s.api.core.v1.Pod", "status.conditions", "type", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "metadata.finalizers", "", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "metadata.ownerReferences", "uid", "merge")]
    [InlineData("io.k8s.api.core.v1.Service", "spec.ports", "port", "merge")]
    [InlineData("io.k8s.api.apps.v1.Deployment", "spec.strategy", "", "retainKeys")]
    [InlineData("io.k8s.api.apps.v1.Deployment", "spec.template.spec.containers", "name", "merge")]
    [InlineData("io.k8s.api.core.v1.Pod", "spec.containers.args", "", "")]
    public void ReadsPatchMetadata(string definition, string path, string mergeKey, string strategy)
    {
        var meta = PatchSchema.Kubernetes.LookupField(definition, path);
        Assert.NotNull(meta);
        Assert.Equal(mergeKey, meta.MergeKey);
        Assert.Equal(strategy, string.Join(',', meta.Strategies));
    }

    [Fact]
    public void UnknownFieldsHaveNoMetadata()
    {
        Assert.Null(PatchSchema.Kubernetes.LookupField("io.k8s.api.core.v1.Pod", "spec.nope"));
    }

    [Fact]
    public void ReadsAnOpenApiV3Document()
    {
        var doc = JsonNode.Parse("""
            {"components":{"schemas":{
              "a.v1.Thing":{"properties":{"items":{"type":"array","items":{"allOf":[{"$ref":"#/components/schemas/a.v1.Item"}]},
                "x-kubernetes-patch-merge-key":"id","x-kubernetes-patch-strategy":"merge"}},
                "x-kubernetes-group-version-kind":[{"group":"a","version":"v1","kind":"Thing"}]},
              "a.v1.Item":{"properties":{"id":{"type":"string"}}}}}}
            """)!.AsObject();
        var schema = PatchSchema.FromOpenApi(doc);
        Assert.True(schema.TryGetDefinitionName("a", "v1", "Thing", out var name));
        var result = StrategicMergePatch.Apply(
            JsonNode.Parse("""{"items":[{"id":"1","v":1},{"id":"2"}]}""")!,
            JsonNode.Parse("""{"items":[{"id":"1","v":2}]}""")!,
            schema,
            name);
        Assert.Equal("""{"items":[{"id":"1","v":2},{"id":"2"}]}""", result.ToJsonString());
    }
}
