using System.Text.Json.Nodes;
using Strata.ApiServer.Selection;

namespace Strata.ApiServer.Tests.Selection;

public sealed class SelectorTests
{
    private static readonly JsonObject Labels = new() { ["app"] = "nginx", ["tier"] = "web", ["rev"] = "3" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=nginx", true)]
    [InlineData("app==nginx", true)]
    [InlineData("app!=nginx", false)]
    [InlineData("app=nginx,tier=db", false)]
    [InlineData("app in (nginx, apache)", true)]
    [InlineData("tier notin (web)", false)]
    [InlineData("missing notin (web)", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("rev>2", true)]
    [InlineData("rev<3", false)]
    [InlineData("app in (nginx),tier", true)]
    public void Label_selectors_follow_the_apimachinery_grammar(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app=ngi nx")]
    [InlineData("-app=x")]
    [InlineData("app in nginx")]
    [InlineData("rev>x")]
    public void Bad_label_selectors_are_refused_with_the_reason(string selector)
    {
        var e = Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));
        Assert.StartsWith("unable to parse requirement", e.Message);
    }

    [Fact]
    public void A_metav1_label_selector_object_matches_as_its_string_form()
    {
        var selector = LabelSelector.FromObject(new JsonObject
        {
            ["matchLabels"] = new JsonObject { ["app"] = "nginx" },
            ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "tier", ["operator"] = "In", ["values"] = new JsonArray("web", "api") }),
        });
        Assert.True(selector.Matches(Labels));
        Assert.Equal("app=nginx,tier in (web,api)", selector.ToString());
    }

    [Fact]
    public void Field_selectors_read_the_kinds_selectable_fields()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"default"},"spec":{"nodeName":"node1"},"status":{"phase":"Running"}}""")!.AsObject();
        Assert.True(FieldSelector.Parse("spec.nodeName=node1,status.phase!=Pending", "", "Pod").Matches(pod));
        Assert.False(FieldSelector.Parse("metadata.name=q", "", "Pod").Matches(pod));
        Assert.True(FieldSelector.Parse("spec.nodeName=", "", "Pod").Matches(JsonNode.Parse("""{"metadata":{"name":"u"}}""")!.AsObject()));
        Assert.True(FieldSelector.Parse("spec.clusterIP=10.233.0.10", "", "Service")
            .Matches(JsonNode.Parse("""{"spec":{"clusterIP":"10.233.0.10"}}""")!.AsObject()));
    }

    [Fact]
    public void Unsupported_fields_are_refused_with_upstreams_message()
    {
        var e = Assert.Throws<FormatException>(() => FieldSelector.Parse("spec.nodeName=x", "", "Service"));
        Assert.Equal("field label not supported: spec.nodeName", e.Message);
    }
}
