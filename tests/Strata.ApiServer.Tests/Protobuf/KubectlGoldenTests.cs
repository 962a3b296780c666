using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer.Protobuf;

namespace Strata.ApiServer.Tests.Protobuf;

/// <summary>
/// Bodies the real kubectl v1.32.4 POSTed with <c>Content-Type: application/vnd.kubernetes.protobuf</c>,
/// captured on a loopback listener (testdata/kubectl/capture.sh), each next to the JSON that
/// <c>kubectl ... --dry-run=client -o json</c> printed for the same command.
/// </summary>
public sealed class KubectlGoldenTests
{
    private static readonly string s_testdata = Path.Combine(Repository.Root, "tests", "Strata.ApiServer.Tests", "Protobuf", "testdata", "kubectl");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(s_testdata).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    [Fact]
    public void AllCasesArePresent() => Assert.True(Cases().Count >= 27);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesToWhatKubectlPrints(string name)
    {
        var body = File.ReadAllBytes(Path.Combine(s_testdata, name, "request.pb"));
        var expected = File.ReadAllText(Path.Combine(s_testdata, name, "expected.json"));

        var decoded = KubeProtobuf.Decode(body);

        // Compared as text, so the field order (Go's declaration order) must match as well.
        Assert.Equal(Normalize(expected), decoded.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodesByteForByteAsKubectl(string name)
    {
        var body = File.ReadAllBytes(Path.Combine(s_testdata, name, "request.pb"));
        var json = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(s_testdata, name, "expected.json")))!;

        Assert.Equal(Convert.ToHexString(body), Convert.ToHexString(KubeProtobuf.Encode(json)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTrips(string name)
    {
        var body = File.ReadAllBytes(Path.Combine(s_testdata, name, "request.pb"));

        var again = KubeProtobuf.Encode(KubeProtobuf.Decode(body));

        Assert.Equal(Convert.ToHexString(body), Convert.ToHexString(again));
    }

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions());
}
