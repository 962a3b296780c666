using System.Text.Json.Nodes;

namespace Strata.ApiServer.Selection;

/// <summary>
/// A parsed <c>fieldSelector</c> (k8s.io/apimachinery/pkg/fields/selector.go: <c>f=v</c>, <c>f==v</c>, <c>f!=v</c>, comma-separated),
/// over the fields each kind makes selectable (its registry strategy's <c>ToSelectableFields</c>).
/// </summary>
public sealed class FieldSelector
{
    private static readonly Dictionary<(string Group, string Kind), string[]> KindFields = new()
    {
        [("", "Pod")] =
        [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.nominatedNodeName",
        ],
        [("", "Service")] = ["spec.clusterIP", "spec.type"],
        [("", "Node")] = ["spec.unschedulable"],
        [("", "Namespace")] = ["status.phase"],
        [("", "Secret")] = ["type"],
        [("", "Event")] =
        [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        ],
        [("apps", "ReplicaSet")] = ["status.replicas"],
    };

    private readonly IReadOnlyList<(string Field, bool Equal, string Value)> _terms;

    private FieldSelector(IReadOnlyList<(string, bool, string)> terms) => _terms = terms;

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>Parses the selector and checks that the kind supports each field (else upstream's "field label not supported").</summary>
    public static FieldSelector Parse(string? text, string group, string kind)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string, bool, string)>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var (at, length, equal) = part.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0 ? (ne, 2, false)
                : part.IndexOf("==", StringComparison.Ordinal) is var ee and >= 0 ? (ee, 2, true)
                : part.IndexOf('=') is var e and >= 0 ? (e, 1, true)
                : throw new FormatException($"invalid selector: '{text}'; can't understand '{part}'");
            var field = part[..at].Trim();
            if (!Supported(group, kind, field))
            {
                throw new FormatException($"field label not supported: {field}");
            }

            terms.Add((field, equal, part[(at + length)..].Trim()));
        }

        return new FieldSelector(terms);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (field, equal, value) in _terms)
        {
            if ((Value(obj, field) == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Supported(string group, string kind, string field) =>
        field is "metadata.name" or "metadata.namespace" ||
        (KindFields.TryGetValue((group, kind), out var fields) && fields.Contains(field));

    /// <summary>The field's value as a selector compares it: absent strings are "", booleans and numbers as text.</summary>
    private static string Value(JsonObject obj, string field)
    {
        if (field == "source")
        {
            return (string?)obj["source"]?["component"] ?? "";
        }

        JsonNode? node = obj;
        foreach (var segment in field.Split('.'))
        {
            node = node is JsonObject o ? o[segment] : null;
        }

        return node switch
        {
            null => field is "spec.unschedulable" or "spec.hostNetwork" ? "false" : field == "status.replicas" ? "0" : "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            _ => node.ToJsonString(),
        };
    }
}
