using System.Text.Json.Nodes;
using Strata.ApiServer.Patching;

namespace Strata.ApiServer.Tests.Patching;

public class JsonPatchTests
{
    // RFC 6902 appendix A: document, patch, expected result.
    public static TheoryData<string, string, string, string> Rfc6902Appendix => new()
    {
        { "A.1 add object member", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"foo":"bar","baz":"qux"}""" },
        { "A.2 add array element", """{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""" },
        { "A.3 remove object member", """{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""" },
        { "A.4 remove array element", """{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""" },
        { "A.5 replace", """{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""" },
        { "A.6 move value", """{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""" },
        { "A.7 move array element", """{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""" },
        { "A.8 test success", """{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""" },
        { "A.10 add nested member", """{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""" },
        { "A.11 ignore unrecognized elements", """{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""" },
        { "A.14 ~ escape ordering", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""" },
        { "A.16 add array value", """{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""" },
        { "~1 is a slash", """{"a/b":1}""", """[{"op":"replace","path":"/a~1b","value":2}]""", """{"a/b":2}""" },
        { "copy", """{"a":{"b":1}}""", """[{"op":"copy","from":"/a","path":"/c"}]""", """{"a":{"b":1},"c":{"b":1}}""" },
        { "negative index counts from the end", """{"a":[1,2,3]}""", """[{"op":"remove","path":"/a/-1"}]""", """{"a":[1,2]}""" },
        { "replace of a missing member adds it (evanphx v4)", """{"a":1}""", """[{"op":"replace","path":"/b","value":2}]""", """{"a":1,"b":2}""" },
        { "replace the whole document", """{"a":1}""", """[{"op":"replace","path":"","value":{"b":2}}]""", """{"b":2}""" },
        { "test null against a missing member", """{"a":1}""", """[{"op":"test","path":"/b","value":null}]""", """{"a":1}""" },
        { "kubectl label style", """{"metadata":{"labels":{"app":"x"}}}""", """[{"op":"add","path":"/metadata/labels/tier","value":"web"}]""", """{"metadata":{"labels":{"app":"x","tier":"web"}}}""" },
    };

    // RFC 6902 appendix A errors, with evanphx/json-patch v4's messages (422 as kube-apiserver answers).
    public static TheoryData<string, string, string, string> Errors => new()
    {
        { "A.9 test failure", """{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""", "testing value /baz failed: test failed" },
        { "A.12 add to nonexistent target", """{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""", "add operation does not apply: doc is missing path: \"/baz/bat\": missing value" },
        { "A.15 comparing strings and numbers", """{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""", "testing value /~01 failed: test failed" },
        { "remove nonexistent member", """{"a":1}""", """[{"op":"remove","path":"/b"}]""", "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value" },
        { "add past the end", """{"a":[1]}""", """[{"op":"add","path":"/a/5","value":2}]""", "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced" },
        { "add with a bad index", """{"a":[1]}""", """[{"op":"add","path":"/a/x","value":2}]""", "error in add for path: '/a/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax" },
        { "replace past the end", """{"a":[1]}""", """[{"op":"replace","path":"/a/3","value":2}]""", "replace operation does not apply: doc is missing key: /a/3: missing value" },
        { "move from a missing parent", """{"a":1}""", """[{"op":"move","from":"/x/y","path":"/b"}]""", "move operation does not apply: doc is missing from path: /x/y: missing value" },
        { "copy to a missing parent", """{"a":1}""", """[{"op":"copy","from":"/a","path":"/x/y"}]""", "copy operation does not apply: doc is missing destination path: /x/y: missing value" },
        { "missing path", """{"a":1}""", """[{"op":"add","value":1}]""", "add operation failed to decode path: missing value" },
        { "unknown op", """{"a":1}""", """[{"op":"frob","path":"/a"}]""", "Unexpected kind: frob" },
        { "missing op", """{"a":1}""", """[{"path":"/a"}]""", "Unexpected kind: unknown" },
    };

    [Theory]
    [MemberData(nameof(Rfc6902Appendix))]
    public void AppliesRfc6902Examples(string name, string document, string patch, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(document)!, JsonNode.Parse(patch)!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{name}: {result.ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void FailsWithUpstreamMessages(string name, string document, string patch, string message)
    {
        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(JsonNode.Parse(document)!, JsonNode.Parse(patch)!));
        Assert.Equal(message, error.Message);
        Assert.True(error.StatusCode == 422, name);
    }

    [Fact]
    public void PatchThatIsNotAnArrayIsABadRequest()
    {
        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(new JsonObject(), JsonNode.Parse("""{"op":"add"}""")!));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("json: cannot unmarshal object into Go value of type jsonpatch.Patch", error.Message);
    }

    [Fact]
    public void TooManyOperationsIsEntityTooLarge()
    {
        var patch = new JsonArray();
        for (var i = 0; i <= JsonPatch.MaxOperations; i++)
        {
            patch.Add(new JsonObject { ["op"] = "test", ["path"] = "/a", ["value"] = 1 });
        }

        var error = Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(new JsonObject { ["a"] = 1 }, patch));
        Assert.Equal(413, error.StatusCode);
        Assert.Equal("The allowed maximum operations in a JSON patch is 10000, got 10001", error.Message);
    }

    [Fact]
    public void DoesNotModifyItsInput()
    {
        var document = JsonNode.Parse("""{"a":[1,2]}""")!;
        JsonPatch.Apply(document, JsonNode.Parse("""[{"op":"remove","path":"/a/0"}]""")!);
        Assert.Equal("""{"a":[1,2]}""", document.ToJsonString());
    }

    [Fact]
    public void OperationsApplyInOrderAndStopAtTheFirstFailure()
    {
        var document = JsonNode.Parse("""{"a":1}""")!;
        Assert.Throws<JsonPatchException>(() => JsonPatch.Apply(document, JsonNode.Parse(
            """[{"op":"add","path":"/b","value":2},{"op":"test","path":"/b","value":3}]""")!));
        Assert.Equal("""{"a":1}""", document.ToJsonString());
    }
}
