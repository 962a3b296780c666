using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>
/// Runs a printer on a JSON object and returns its cells as upstream's tests write them: strings, longs, bools.
/// Upstream's printers_test.go often prints without Wide; <see cref="Narrow"/> keeps only the priority-0 columns,
/// which is what those rows hold.
/// </summary>
internal static class Rows
{
    /// <summary>A fixed "now" (2025-01-15T12:00:00Z), so ages and restart times written in the test objects are exact.</summary>
    public static readonly DateTimeOffset Now = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public static object?[] Wide(string group, string kind, string json) =>
        TablePrinters.For(group, kind).Cells(Parse(json), Now).Select(Plain).ToArray();

    public static object?[] Narrow(string group, string kind, string json)
    {
        var printer = TablePrinters.For(group, kind);
        var cells = printer.Cells(Parse(json), Now);
        return cells.Where((_, i) => printer.Columns[i].Priority == 0).Select(Plain).ToArray();
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static object? Plain(JsonNode? cell) => cell switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<long>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new InvalidOperationException("unexpected cell " + cell.ToJsonString()),
    };
}
