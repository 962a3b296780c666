using System.Text.Json.Nodes;
using Strata.ApiServer.Patching;

namespace Strata.ApiServer.Tests.Patching;

public class JsonMergePatchTests
{
    // RFC 7386 appendix A.
    public static TheoryData<string, string, string> Rfc7386Appendix => new()
    {
        { """{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""" },
        { """{"a":"b"}""", """{"a":null}""", """{}""" },
        { """{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""" },
        { """{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""" },
        { """{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""" },
        { """{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""" },
        { """{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""" },
        { """["a","b"]""", """["c","d"]""", """["c","d"]""" },
        { """{"a":"b"}""", """["c"]""", """["c"]""" },
        { """{"a":"foo"}""", "null", "null" },
        { """{"a":"foo"}""", "\"bar\"", "\"bar\"" },
        { """{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""" },
        { """[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""" },
        { """{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""" },
    };

    [Theory]
    [MemberData(nameof(Rfc7386Appendix))]
    public void AppliesRfc7386Examples(string target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString() ?? "null");
    }

    [Fact]
    public void KubernetesRefusesAPatchThatIsNotAnObject()
    {
        var error = Assert.Throws<JsonMergePatchException>(() => JsonMergePatch.ApplyToObject(new JsonObject(), JsonValue.Create("x")));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("Invalid JSON Patch", error.Message);
        Assert.Throws<JsonMergePatchException>(() => JsonMergePatch.ApplyToObject(new JsonObject(), null));
    }

    [Fact]
    public void DoesNotModifyItsInputs()
    {
        var target = JsonNode.Parse("""{"a":{"b":1}}""")!;
        var patch = JsonNode.Parse("""{"a":{"c":2}}""")!;
        var result = JsonMergePatch.Apply(target, patch);
        Assert.Equal("""{"a":{"b":1}}""", target.ToJsonString());
        Assert.Equal("""{"a":{"b":1,"c":2}}""", result!.ToJsonString());
    }
}
