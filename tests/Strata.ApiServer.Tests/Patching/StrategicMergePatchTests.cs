using System.Text.Json.Nodes;
using Strata.ApiServer.Patching;

namespace Strata.ApiServer.Tests.Patching;

public class StrategicMergePatchTests
{
    private const string Pod = "io.k8s.api.core.v1.Pod";
    private const string Deployment = "io.k8s.api.apps.v1.Deployment";
    private const string Service = "io.k8s.api.core.v1.Service";

    // Cases modelled on k8s.io/apimachinery/pkg/util/strategicpatch's patch_test.go, on real types.
    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        {
            "containers merge by name", Pod,
            """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""",
            """{"spec":{"containers":[{"name":"b","image":"z"}]}}""",
            """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"z"}]}}"""
        },
        {
            "add items and preserve order with $setElementOrder", Pod,
            """{"spec":{"containers":[{"name":"1","other":"a"},{"name":"2","image":"2","other":"b"}]}}""",
            """{"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"4"},{"name":"2"},{"name":"3"}],"containers":[{"name":"4","image":"4"},{"name":"3","image":"3"}]}}""",
            """{"spec":{"containers":[{"name":"1","other":"a"},{"name":"4","image":"4"},{"name":"2","image":"2","other":"b"},{"name":"3","image":"3"}]}}"""
        },
        {
            "container ports merge by containerPort", Pod,
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]}}""",
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}""",
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":443}]}]}}"""
        },
        {
            "env merges by name", Pod,
            """{"spec":{"containers":[{"name":"a","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}""",
            """{"spec":{"containers":[{"name":"a","env":[{"name":"B","value":"3"}]}]}}""",
            """{"spec":{"containers":[{"name":"a","env":[{"name":"A","value":"1"},{"name":"B","value":"3"}]}]}}"""
        },
        {
            "service ports merge by port", Service,
            """{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}""",
            """{"spec":{"ports":[{"port":443,"targetPort":9443}]}}""",
            """{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":9443}]}}"""
        },
        {
            "$patch: delete removes a list element", Pod,
            """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""",
            """{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}""",
            """{"spec":{"containers":[{"name":"b","image":"y"}]}}"""
        },
        {
            "$patch: replace replaces a merging list", Pod,
            """{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""",
            """{"spec":{"containers":[{"name":"c","image":"z"},{"$patch":"replace"}]}}""",
            """{"spec":{"containers":[{"name":"c","image":"z"}]}}"""
        },
        {
            "$patch: replace replaces a map", Pod,
            """{"metadata":{"labels":{"a":"1","b":"2"}}}""",
            """{"metadata":{"labels":{"$patch":"replace","c":"3"}}}""",
            """{"metadata":{"labels":{"c":"3"}}}"""
        },
        {
            "$patch: delete empties a map", Deployment,
            """{"spec":{"replicas":2,"strategy":{"type":"Recreate"}}}""",
            """{"spec":{"strategy":{"$patch":"delete"}}}""",
            """{"spec":{"replicas":2,"strategy":{}}}"""
        },
        {
            "null deletes a field", Deployment,
            """{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"replicas":2}}""",
            """{"metadata":{"labels":{"a":null}},"spec":{"replicas":null}}""",
            """{"metadata":{"labels":{"b":"2"}},"spec":{}}"""
        },
        {
            "$retainKeys clears what it does not list", Deployment,
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""",
            """{"spec":{"strategy":{"type":"Recreate"}}}"""
        },
        {
            "volumes merge by name with retainKeys", Pod,
            """{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/a"}}]}}""",
            """{"spec":{"volumes":[{"name":"v","emptyDir":{},"$retainKeys":["name","emptyDir"]}]}}""",
            """{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}"""
        },
        {
            "finalizers merge as a set", Pod,
            """{"metadata":{"finalizers":["a","b"]}}""",
            """{"metadata":{"finalizers":["b","c"]}}""",
            """{"metadata":{"finalizers":["a","b","c"]}}"""
        },
        {
            "$setElementOrder on a primitive list", Pod,
            """{"metadata":{"finalizers":["1","4","2"]}}""",
            """{"metadata":{"$setElementOrder/finalizers":["3","1","2"],"finalizers":["3"]}}""",
            """{"metadata":{"finalizers":["3","1","4","2"]}}"""
        },
        {
            "$deleteFromPrimitiveList", Pod,
            """{"metadata":{"finalizers":["a","b","c"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}}""",
            """{"metadata":{"finalizers":["a","c"]}}"""
        },
        {
            "$deleteFromPrimitiveList of a missing list adds nothing", Pod,
            """{"metadata":{"name":"p"}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}}""",
            """{"metadata":{"name":"p"}}"""
        },
        {
            "ownerReferences merge by uid", Pod,
            """{"metadata":{"ownerReferences":[{"uid":"1","kind":"ReplicaSet","name":"a"},{"uid":"2","kind":"ReplicaSet","name":"b"}]}}""",
            """{"metadata":{"ownerReferences":[{"uid":"2","controller":true}]}}""",
            """{"metadata":{"ownerReferences":[{"uid":"1","kind":"ReplicaSet","name":"a"},{"uid":"2","kind":"ReplicaSet","name":"b","controller":true}]}}"""
        },
        {
            "conditions merge by type", Pod,
            """{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}}""",
            """{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""",
            """{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}}"""
        },
        {
            "lists without a strategy are replaced", Pod,
            """{"spec":{"containers":[{"name":"a","args":["x","y"]}]}}""",
            """{"spec":{"containers":[{"name":"a","args":["z"]}]}}""",
            """{"spec":{"containers":[{"name":"a","args":["z"]}]}}"""
        },
        {
            "new fields are added without their nulls and directives", Deployment,
            """{"spec":{"replicas":1}}""",
            """{"spec":{"template":{"metadata":{"labels":{"app":"x","gone":null}},"spec":{"containers":[{"name":"a","image":"i"},{"name":"b","$patch":"delete"}]}}}}""",
            """{"spec":{"replicas":1,"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"a","image":"i"}]}}}}"""
        },
        {
            "a value of another type replaces", Deployment,
            """{"spec":{"strategy":"odd"}}""",
            """{"spec":{"strategy":{"type":"Recreate"}}}""",
            """{"spec":{"strategy":{"type":"Recreate"}}}"""
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Applies(string name, string definition, string original, string patch, string expected)
    {
        var result = StrategicMergePatch.Apply(JsonNode.Parse(original)!, JsonNode.Parse(patch)!, PatchSchema.Kubernetes, definition);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{name}: {result.ToJsonString()}");
    }

    public static TheoryData<string, string, string, int, string> ErrorCases => new()
    {
        {
            "retainKeys missing a patched key",
            """{"spec":{"strategy":{"type":"RollingUpdate"}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{}}}}""",
            400, "invalid patch format of retainKeys"
        },
        {
            "retainKeys that is not a list",
            """{"spec":{"strategy":{"type":"RollingUpdate"}}}""",
            """{"spec":{"strategy":{"$retainKeys":"type"}}}""",
            400, "invalid patch format of retainKeys"
        },
        {
            "bad deleteFromPrimitiveList key",
            """{"metadata":{"finalizers":["a"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList":["a"]}}""",
            400, "invalid patch format of primitive list"
        },
        {
            "bad setElementOrder key",
            """{"metadata":{"finalizers":["a"]}}""",
            """{"metadata":{"$setElementOrder":["a"]}}""",
            400, "invalid patch format of setElementOrder list"
        },
        {
            "list element without its merge key",
            """{"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}""",
            """{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}""",
            500, "map: map[image:x] does not contain declared merge key: name"
        },
        {
            "unknown $patch directive",
            """{"spec":{"strategy":{"type":"Recreate"}}}""",
            """{"spec":{"strategy":{"$patch":"frob"}}}""",
            500, "unknown patch type: frob in map: map[$patch:frob]"
        },
        {
            "$patch: merge in a list",
            """{"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}""",
            """{"spec":{"template":{"spec":{"containers":[{"$patch":"merge"}]}}}}""",
            500, "merging lists cannot yet be specified in the patch"
        },
        {
            "element types differ",
            """{"metadata":{"finalizers":["a"]}}""",
            """{"metadata":{"finalizers":[1]}}""",
            500, "list element types are not identical: [[a] [1]]"
        },
    };

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public void FailsWithUpstreamMessages(string name, string original, string patch, int status, string message)
    {
        var error = Assert.Throws<StrategicMergePatchException>(
            () => StrategicMergePatch.Apply(JsonNode.Parse(original)!, JsonNode.Parse(patch)!, PatchSchema.Kubernetes, Deployment));
        Assert.Equal(message, error.Message);
        Assert.True(status == error.StatusCode, name);
    }

    [Fact]
    public void UnknownDefinitionsAreUnsupportedMediaType()
    {
        var error = Assert.Throws<StrategicMergePatchException>(
            () => StrategicMergePatch.Apply(new JsonObject(), new JsonObject(), PatchSchema.Kubernetes, "com.example.stable.v1.CronTab"));
        Assert.Equal(415, error.StatusCode);
        Assert.Equal(StrategicMergePatch.UnsupportedMediaTypeMessage, error.Message);
    }

    [Fact]
    public void DoesNotModifyItsInputs()
    {
        var original = JsonNode.Parse("""{"metadata":{"finalizers":["a"]}}""")!;
        var patch = JsonNode.Parse("""{"metadata":{"finalizers":["b"]}}""")!;
        StrategicMergePatch.Apply(original, patch, PatchSchema.Kubernetes, Pod);
        Assert.Equal("""{"metadata":{"finalizers":["a"]}}""", original.ToJsonString());
        Assert.Equal("""{"metadata":{"finalizers":["b"]}}""", patch.ToJsonString());
    }

    [Fact]
    public void KubectlApplyPatchForADeployment()
    {
        // What kubectl apply sends after an image change and a new env var (3-way patch).
        var live = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
                 {"name":"web","image":"nginx:1.25","env":[{"name":"A","value":"1"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},
                 {"name":"sidecar","image":"busybox"}]}}}}
            """)!;
        var patch = JsonNode.Parse("""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}"}},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],
               "containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"B"}],"env":[{"name":"B","value":"2"}],"image":"nginx:1.27","name":"web"}]}}}}
            """)!;
        var result = StrategicMergePatch.Apply(live, patch, PatchSchema.Kubernetes, Deployment);
        var web = result["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.27", (string?)web["image"]);
        Assert.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"2"}]""", web["env"]!.ToJsonString());
        Assert.Equal("sidecar", (string?)result["spec"]!["template"]!["spec"]!["containers"]![1]!["name"]);
        Assert.Equal("{\"new\":true}", (string?)result["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]);
        Assert.DoesNotContain("$setElementOrder", result.ToJsonString(), StringComparison.Ordinal);
    }
}
