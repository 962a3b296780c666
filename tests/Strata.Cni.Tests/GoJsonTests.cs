using System.Text.Json.Nodes;

namespace Strata.Cni.Tests;

/// <summary>Go's encoding/json output, which libcni's bytes are made of.</summary>
public sealed class GoJsonTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "-0")]
    [InlineData("1.0", "1")]
    [InlineData("1e3", "1000")]
    [InlineData("12.50", "12.5")]
    [InlineData("0.1", "0.1")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("-1.5e-7", "-1.5e-7")]
    [InlineData("1.25e-10", "1.25e-10")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("123456789e20", "1.23456789e+28")]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("12345678901234567890", "12345678901234567000")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    public void Numbers_are_written_as_the_float64_go_decodes_them_to(string literal, string expected) =>
        Assert.Equal(expected, GoJson.Serialize(JsonNode.Parse(literal)));

    [Fact]
    public void Strings_are_escaped_as_json_Marshal_escapes_them()
    {
        var value = JsonValue.Create("<a&b> \"q\" \\ \b\f\n\r\t\u0001\u001f\u007f é ☃ \u2028\u2029 😀");
        Assert.Equal("\"\\u003ca\\u0026b\\u003e \\\"q\\\" \\\\ \\b\\f\\n\\r\\t\\u0001\\u001f\u007f é ☃ \\u2028\\u2029 😀\"", GoJson.Serialize(value));
        Assert.Equal("\"\\ufffd\"", GoJson.Serialize(JsonValue.Create("\ud800"))); // invalid UTF-16 as Go treats invalid UTF-8
    }

    [Fact]
    public void Map_keys_sort_bytewise_on_utf8_and_indentation_matches_MarshalIndent()
    {
        var node = JsonNode.Parse("""{"b":1,"é":2,"B":3,"a":{"z":[],"y":{},"x":[1,{"k":true,"j":null}]}}""");
        Assert.Equal("""{"B":3,"a":{"x":[1,{"j":null,"k":true}],"y":{},"z":[]},"b":1,"é":2}""", GoJson.Serialize(GoJson.Sorted(node)));
        Assert.Equal("{\n    \"a\": [\n        1,\n        {}\n    ],\n    \"b\": []\n}", GoJson.Serialize(JsonNode.Parse("""{"a":[1,{}],"b":[]}"""), "    "));
    }
}
