using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>Cell values as the Go printers put them in a row: strings, int64s and bools.</summary>
internal static class Cell
{
    public static JsonNode Of(string value) => JsonValue.Create(value);

    public static JsonNode Of(long value) => JsonValue.Create(value);

    public static JsonNode Of(bool value) => JsonValue.Create(value);

    /// <summary><c>layoutContainerCells</c>: container names and images, each joined by commas.</summary>
    public static (JsonNode Names, JsonNode Images) Containers(IReadOnlyList<JsonObject> containers) =>
        (Of(string.Join(",", containers.Select(c => c.Str("name")))),
         Of(string.Join(",", containers.Select(c => c.Str("image")))));

    /// <summary>
    /// <c>listWithMoreString</c>: the first <paramref name="shown"/> items, then " + N more..." for the rest;
    /// <paramref name="whenEmpty"/> when there are none.
    /// </summary>
    public static string ListWithMore(IReadOnlyList<string> items, int shown, string whenEmpty)
    {
        var text = string.Join(",", items.Take(shown));
        if (items.Count > shown)
        {
            return $"{text} + {items.Count - shown} more...";
        }

        return text.Length == 0 ? whenEmpty : text;
    }
}
