using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>
/// The Table JSON of whole responses, against golden files written from upstream: the Table and
/// PartialObjectMetadata types (k8s.io/apimachinery pkg/apis/meta/v1/types.go), handlers/response.go
/// <c>asTable</c>, registry/rest/table.go, and the watch encoder's noHeaders. Each case is
/// <c>testdata/&lt;case&gt;/in.json</c> (the request and the stored objects) and <c>expected.json</c>.
/// </summary>
public class TableJsonTests
{
    private static readonly string TestData = Path.Combine(AppContext.BaseDirectory, "Printing", "testdata");

    private static readonly JsonSerializerOptions Canonical = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static TheoryData<string> Cases =>
        new(Directory.GetDirectories(TestData).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void TableMatchesGoldenFile(string name)
    {
        var input = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData, name, "in.json")))!.AsObject();
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(TestData, name, "expected.json")));

        var table = TablePrinters.ToTable(
            TablePrinters.For(input["group"]!.GetValue<string>(), input["kind"]!.GetValue<string>()),
            input["items"]!.AsArray().Select(item => item!.AsObject()),
            input["includeObject"]!.GetValue<string>(),
            input["resourceVersion"]?.GetValue<string>(),
            input["continue"]?.GetValue<string>(),
            DateTimeOffset.Parse(input["now"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            noHeaders: input["noHeaders"]?.GetValue<bool>() ?? false,
            remainingItemCount: input["remainingItemCount"]?.GetValue<long>());

        // Serialized text, so that the order of fields counts as well as their values.
        Assert.Equal(expected!.ToJsonString(Canonical), table.ToJsonString(Canonical));
    }

    [Fact]
    public void IncludeObjectDefaultsToMetadata()
    {
        var pod = Rows.Parse("""{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {}}""");
        var table = TablePrinters.ToTable(TablePrinters.For("", "Pod"), [pod], "", null, null, Rows.Now);

        Assert.Equal(
            """{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"p","namespace":"ns","creationTimestamp":null}}""",
            table["rows"]![0]!["object"]!.ToJsonString());
        Assert.Equal("{}", table["metadata"]!.ToJsonString());
    }

    [Fact]
    public void AnUnknownIncludeObjectValueIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TablePrinters.ToTable(TablePrinters.Default, [], "Everything", null, null, Rows.Now));
        Assert.StartsWith("unrecognized includeObject value: \"Everything\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeObjectCopiesTheObject()
    {
        var pod = Rows.Parse("""{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}""");
        var table = TablePrinters.ToTable(TablePrinters.For("", "Pod"), [pod], "Object", "1", null, Rows.Now);

        var embedded = table["rows"]![0]!["object"]!;
        Assert.True(JsonNode.DeepEquals(pod, embedded));
        Assert.NotSame(pod, embedded);
    }
}
