using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// Events: <c>printEvent</c> in pkg/printers/internalversion/printers.go, in its wide form (the server always
/// prints wide, and the wide row has every column in definition order). events.k8s.io/v1 Events share the
/// printer upstream through the internal type; their renamed fields are read as pkg/apis/events/v1 converts them.
/// </summary>
internal static class EventPrinter
{
    private static readonly TableColumn[] Columns =
    [
        Col.String("Last Seen", SwaggerDocs.EventLastTimestamp),
        Col.String("Type", SwaggerDocs.EventType),
        Col.String("Reason", SwaggerDocs.EventReason),
        Col.String("Object", SwaggerDocs.EventInvolvedObject),
        Col.String("Subobject", SwaggerDocs.ObjectReferenceFieldPath, 1),
        Col.String("Source", SwaggerDocs.EventSource, 1),
        Col.String("Message", SwaggerDocs.EventMessage),
        Col.String("First Seen", SwaggerDocs.EventFirstTimestamp, 1),
        Col.String("Count", SwaggerDocs.EventCount, 1),
        new("Name", "string", "name", SwaggerDocs.ObjectMetaName, 1),
    ];

    public static TablePrinter Create() => new(Columns, Cells);

    private static JsonNode?[] Cells(JsonObject e, DateTimeOffset now)
    {
        var involved = e.Obj("involvedObject") ?? e.Obj("regarding");
        var source = e.Obj("source") ?? e.Obj("deprecatedSource");

        var firstTimestamp = e.Time("firstTimestamp") ?? e.Time("deprecatedFirstTimestamp");
        var first = firstTimestamp is null
            ? HumanDuration.Since(e.Time("eventTime"), now)
            : HumanDuration.Since(firstTimestamp, now);

        var lastTimestamp = e.Time("lastTimestamp") ?? e.Time("deprecatedLastTimestamp");
        var last = lastTimestamp is null ? first : HumanDuration.Since(lastTimestamp, now);

        var count = e.OptionalInt("count") ?? e.Int("deprecatedCount");
        if (e.Obj("series") is { } series)
        {
            last = HumanDuration.Since(series.Time("lastObservedTime"), now);
            count = series.Int("count");
        }
        else if (count == 0)
        {
            // Singleton events don't have a count set in the new API.
            count = 1;
        }

        var kind = involved.Str("kind").ToLowerInvariant();
        var target = involved.Str("name") is { Length: > 0 } name ? $"{kind}/{name}" : kind;

        // formatEventSource: component (else reportingController), then ", instance" (else reportingInstance).
        var component = FirstNonEmpty(source.Str("component"), e.Str("reportingComponent"), e.Str("reportingController"));
        var instance = FirstNonEmpty(source.Str("host"), e.Str("reportingInstance"));
        var sourceText = instance.Length == 0 ? component : $"{component}, {instance}";

        return
        [
            Cell.Of(last),
            Cell.Of(e.Str("type")),
            Cell.Of(e.Str("reason")),
            Cell.Of(target),
            Cell.Of(involved.Str("fieldPath")),
            Cell.Of(sourceText),
            Cell.Of((e.OptionalStr("message") ?? e.Str("note")).Trim()),
            Cell.Of(first),
            Cell.Of(count),
            Cell.Of(e.Name()),
        ];
    }

    private static string FirstNonEmpty(params string[] values) => values.FirstOrDefault(v => v.Length > 0) ?? "";
}
