using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Registry;

/// <summary>Small accessors for <c>metadata</c> on JSON objects.</summary>
public static class ObjectMeta
{
    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            obj["metadata"] = metadata;
        }

        return metadata;
    }

    public static string? Name(this JsonObject obj) => (string?)obj["metadata"]?["name"];

    public static string? Namespace(this JsonObject obj) => (string?)obj["metadata"]?["namespace"];

    public static string? ResourceVersion(this JsonObject obj) => (string?)obj["metadata"]?["resourceVersion"];

    public static string? Uid(this JsonObject obj) => (string?)obj["metadata"]?["uid"];

    public static JsonObject? Labels(this JsonObject obj) => obj["metadata"]?["labels"] as JsonObject;

    public static bool IsDeleting(this JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static List<string> Finalizers(this JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray)?.Select(f => (string)f!).ToList() ?? [];

    public static void SetFinalizers(this JsonObject obj, IReadOnlyCollection<string> finalizers)
    {
        if (finalizers.Count == 0)
        {
            obj.Metadata().Remove("finalizers");
        }
        else
        {
            obj.Metadata()["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
        }
    }

    /// <summary>RFC 3339 at second precision, as metav1.Time marshals.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static long ParseRevision(string? text, string what)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
        {
            throw Http.ApiException.BadRequest($"invalid {what}: \"{text}\"");
        }

        return revision;
    }
}
