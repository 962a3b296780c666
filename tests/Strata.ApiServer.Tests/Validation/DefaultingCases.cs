using System.Text.Json.Nodes;
using Strata.ApiServer.Defaulting;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Tests.Validation;

/// <summary>
/// Golden defaulting cases: testdata/defaulting/&lt;case&gt;/in.json defaulted must equal expected.json
/// (member order aside), and the defaulted object must then pass validation, as a minimal manifest does upstream.
/// </summary>
public class DefaultingCases
{
    private static readonly string s_root = Path.Combine(Repository.Root, "tests", "Strata.ApiServer.Tests", "Validation", "testdata", "defaulting");

    public static TheoryData<string> Cases() => new(Directory.GetDirectories(s_root).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DefaultsAsUpstream(string name)
    {
        var (group, kind, obj) = Load(name, "in.json");
        var (_, _, expected) = Load(name, "expected.json");
        ObjectDefaulter.Apply(group, kind, obj);
        Assert.True(JsonNode.DeepEquals(expected, obj), $"{name}:\nexpected {expected.ToJsonString()}\nactual   {obj.ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DefaultedObjectValidates(string name)
    {
        var (group, kind, obj) = Load(name, "in.json");
        ObjectDefaulter.Apply(group, kind, obj);
        Assert.Empty(ObjectValidator.ValidateCreate(group, kind, obj).Select(e => e.ToString()));
    }

    [Fact]
    public void DefaultingTwiceChangesNothing()
    {
        foreach (var name in Directory.GetDirectories(s_root).Select(Path.GetFileName))
        {
            var (group, kind, obj) = Load(name!, "in.json");
            ObjectDefaulter.Apply(group, kind, obj);
            var once = obj.DeepClone();
            ObjectDefaulter.Apply(group, kind, obj);
            Assert.True(JsonNode.DeepEquals(once, obj), name);
        }
    }

    [Theory]
    [InlineData("nginx", "Always")]
    [InlineData("nginx:latest", "Always")]
    [InlineData("nginx:1.27", "IfNotPresent")]
    [InlineData("registry.local:5000/team/app", "Always")]
    [InlineData("registry.local:5000/team/app:v2", "IfNotPresent")]
    [InlineData("app@sha256:0000000000000000000000000000000000000000000000000000000000000000", "IfNotPresent")]
    [InlineData("Nginx", "IfNotPresent")]
    public void ImagePullPolicyFollowsTheTag(string image, string expected)
    {
        var pod = JsonNode.Parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}")!.AsObject();
        pod["spec"]!["containers"]![0]!["image"] = image;
        ObjectDefaulter.Apply("", "Pod", pod);
        Assert.Equal(expected, pod["spec"]!["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
    }

    private static (string Group, string Kind, JsonObject Obj) Load(string name, string file)
    {
        var obj = JsonNode.Parse(File.ReadAllText(Path.Combine(s_root, name, file)))!.AsObject();
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return (group, obj["kind"]!.GetValue<string>(), obj);
    }
}
