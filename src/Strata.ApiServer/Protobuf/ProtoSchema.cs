using System.Collections.Frozen;
using System.Text.Json;

namespace Strata.ApiServer.Protobuf;

/// <summary>How a field's Go declaration shapes it, which decides what Go's encoding/json prints.</summary>
internal enum FieldShape
{
    /// <summary>A scalar (string, number, bool) held by value.</summary>
    Scalar,
    /// <summary><c>[]byte</c>: base64 in JSON, nil when absent.</summary>
    Bytes,
    /// <summary>A struct held by value: always printed, <c>omitempty</c> has no effect on structs.</summary>
    Message,
    /// <summary>A repeated field: a Go slice, nil when absent.</summary>
    Repeated,
    /// <summary>A proto map: a Go map, nil when absent.</summary>
    Map,
}

/// <summary>One field of a message, as gen_schema.py wrote it to schema.json.</summary>
internal sealed class FieldSchema
{
    public required int Number { get; init; }

    /// <summary>The Go <c>json:</c> tag name (for inline embedded structs, the proto name, unused in JSON).</summary>
    public required string JsonName { get; init; }

    /// <summary>Scalar proto type (<c>string</c>, <c>int32</c>, ...) or full message name; for maps, the value type.</summary>
    public required string Type { get; init; }

    /// <summary>For maps, the key's scalar type.</summary>
    public string? MapKey { get; init; }

    public required FieldShape Shape { get; init; }

    /// <summary>The Go field is a pointer (<c>*int32</c>, <c>*Affinity</c>): present on the wire iff non-nil.</summary>
    public bool Pointer { get; init; }

    /// <summary>The Go <c>json:</c> tag has <c>omitempty</c>.</summary>
    public bool OmitEmpty { get; init; }

    /// <summary>An embedded struct whose JSON fields are flattened into the parent (<c>json:",inline"</c>).</summary>
    public bool Inline { get; init; }

    /// <summary>The message schema of <see cref="Type"/> when it is a message; resolved after loading.</summary>
    public MessageSchema? Message { get; set; }

    public bool IsScalarType => Message is null;
}

/// <summary>A message type: its fields in Go declaration order (JSON order) and by number (wire order).</summary>
internal sealed class MessageSchema
{
    public MessageSchema(string name, FieldSchema[] fields)
    {
        Name = name;
        Fields = fields;
        ByNumber = fields.ToFrozenDictionary(f => f.Number);
        WireOrder = [.. fields.OrderBy(f => f.Number)];
        Special = SpecialTypes.Classify(name);
    }

    public string Name { get; }

    public FieldSchema[] Fields { get; }

    public FieldSchema[] WireOrder { get; }

    public FrozenDictionary<int, FieldSchema> ByNumber { get; }

    public SpecialType Special { get; }
}

/// <summary>The schema embedded from schema.json: every message of the packages we serve.</summary>
internal sealed class ProtoSchema
{
    public const string MetaV1Package = "k8s.io.apimachinery.pkg.apis.meta.v1";

    private static readonly Lazy<ProtoSchema> s_instance = new(Load);

    private ProtoSchema(FrozenDictionary<string, MessageSchema> messages, FrozenDictionary<string, string> groupVersions, string tag)
    {
        Messages = messages;
        GroupVersions = groupVersions;
        Tag = tag;
    }

    public static ProtoSchema Instance => s_instance.Value;

    public FrozenDictionary<string, MessageSchema> Messages { get; }

    /// <summary>apiVersion (<c>v1</c>, <c>apps/v1</c>) to proto package.</summary>
    public FrozenDictionary<string, string> GroupVersions { get; }

    /// <summary>The upstream tag the schema was generated from.</summary>
    public string Tag { get; }

    public MessageSchema this[string name] =>
        Messages.TryGetValue(name, out var m) ? m : throw new KubeProtobufException($"no protobuf message {name} in the schema");

    /// <summary>
    /// The message for a top-level object. Like the apiserver's scheme, the meta/v1 kinds (Status,
    /// DeleteOptions, ...) are accepted under every group version.
    /// </summary>
    public MessageSchema? FindKind(string apiVersion, string kind)
    {
        if (string.IsNullOrEmpty(kind) || kind.Contains('.', StringComparison.Ordinal))
        {
            return null;
        }
        if (GroupVersions.TryGetValue(apiVersion, out var package) && Messages.TryGetValue($"{package}.{kind}", out var message))
        {
            return message;
        }
        return Messages.TryGetValue($"{MetaV1Package}.{kind}", out message) && message.Fields.Length > 0 ? message : null;
    }

    private static ProtoSchema Load()
    {
        using var stream = typeof(ProtoSchema).Assembly.GetManifestResourceStream("Strata.ApiServer.Protobuf.schema.json")
            ?? throw new InvalidOperationException("embedded resource Strata.ApiServer.Protobuf.schema.json is missing");
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var groupVersions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var gv in root.GetProperty("groupVersions").EnumerateObject())
        {
            groupVersions[gv.Name] = gv.Value.GetString()!;
        }
        var messages = new Dictionary<string, MessageSchema>(StringComparer.Ordinal);
        foreach (var message in root.GetProperty("messages").EnumerateObject())
        {
            var fields = new List<FieldSchema>();
            foreach (var f in message.Value.EnumerateArray())
            {
                var rep = f.TryGetProperty("rep", out _);
                var isMap = f.TryGetProperty("map", out var map);
                var type = isMap ? map[1].GetString()! : f.GetProperty("t").GetString()!;
                fields.Add(new FieldSchema
                {
                    Number = f.GetProperty("n").GetInt32(),
                    JsonName = f.GetProperty("j").GetString()!,
                    Type = type,
                    MapKey = isMap ? map[0].GetString() : null,
                    Shape = isMap ? FieldShape.Map
                        : rep ? FieldShape.Repeated
                        : type == "bytes" ? FieldShape.Bytes
                        : ScalarTypes.IsScalar(type) ? FieldShape.Scalar
                        : FieldShape.Message,
                    Pointer = f.TryGetProperty("ptr", out _),
                    OmitEmpty = f.TryGetProperty("omit", out _),
                    Inline = f.TryGetProperty("inline", out _),
                });
            }
            messages[message.Name] = new MessageSchema(message.Name, [.. fields]);
        }
        foreach (var message in messages.Values)
        {
            foreach (var field in message.Fields)
            {
                if (!ScalarTypes.IsScalar(field.Type))
                {
                    field.Message = messages.TryGetValue(field.Type, out var m)
                        ? m
                        : throw new InvalidOperationException($"schema.json: {message.Name}.{field.JsonName} refers to unknown {field.Type}");
                }
            }
        }
        return new ProtoSchema(messages.ToFrozenDictionary(StringComparer.Ordinal), groupVersions.ToFrozenDictionary(StringComparer.Ordinal),
            root.GetProperty("tag").GetString()!);
    }
}

internal static class ScalarTypes
{
    public static bool IsScalar(string type) => type switch
    {
        "double" or "float" or "int32" or "int64" or "uint32" or "uint64" or "sint32" or "sint64"
            or "fixed32" or "fixed64" or "sfixed32" or "sfixed64" or "bool" or "string" or "bytes" => true,
        _ => false,
    };

    public static WireType WireTypeOf(string type) => type switch
    {
        "double" or "fixed64" or "sfixed64" => WireType.Fixed64,
        "float" or "fixed32" or "sfixed32" => WireType.Fixed32,
        "string" or "bytes" => WireType.LengthDelimited,
        _ => WireType.Varint,
    };
}
