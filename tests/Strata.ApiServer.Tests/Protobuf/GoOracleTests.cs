using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer.Protobuf;

namespace Strata.ApiServer.Tests.Protobuf;

/// <summary>
/// Rich objects (input.json) that we encode (request.pb) and that the real kubectl v1.32.4 decoded with
/// the Go types and printed (expected.json, from testdata/go-oracle/oracle.sh): our Decode must print
/// what Go printed, field order included, and our Encode must stay byte-stable.
/// </summary>
public sealed class GoOracleTests
{
    private static readonly string s_testdata = Path.Combine(Repository.Root, "tests", "Strata.ApiServer.Tests", "Protobuf", "testdata", "go-oracle");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(s_testdata).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesAsGoDoes(string name)
    {
        var body = File.ReadAllBytes(Path.Combine(s_testdata, name, "request.pb"));
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(s_testdata, name, "expected.json")))!.ToJsonString();

        Assert.Equal(expected, KubeProtobuf.Decode(body).ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodesInputAndGoOutputToTheSameBytes(string name)
    {
        var body = Convert.ToHexString(File.ReadAllBytes(Path.Combine(s_testdata, name, "request.pb")));

        Assert.Equal(body, Convert.ToHexString(KubeProtobuf.Encode(Load(name, "input.json"))));
        Assert.Equal(body, Convert.ToHexString(KubeProtobuf.Encode(Load(name, "expected.json"))));
    }

    private static JsonObject Load(string name, string file) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(s_testdata, name, file)), documentOptions: new JsonDocumentOptions())!;
}
