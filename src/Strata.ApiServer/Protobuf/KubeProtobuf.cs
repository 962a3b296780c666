using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Protobuf;

/// <summary>
/// The Kubernetes protobuf encoding (<c>application/vnd.kubernetes.protobuf</c>) of the built-in kinds,
/// translated to and from the JSON form of the same objects.
/// </summary>
/// <remarks>
/// A body is the magic <c>k8s\0</c> followed by a <c>runtime.Unknown</c> message
/// (k8s.io/apimachinery/pkg/runtime/serializer/protobuf): <c>typeMeta</c> (1) holding apiVersion (1) and
/// kind (2), <c>raw</c> (2) holding the object's own message, <c>contentEncoding</c> (3) and
/// <c>contentType</c> (4). Field numbers come from the upstream generated.proto files, and JSON names,
/// pointers and <c>omitempty</c> from the Go types, through schema.json (see README.md here).
/// </remarks>
public static class KubeProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>The four bytes every Kubernetes protobuf body starts with: <c>k8s\0</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    private const string Root = "";

    /// <summary>
    /// Decodes a protobuf body into the JSON object kube-apiserver would print for it: <c>kind</c> and
    /// <c>apiVersion</c> from the envelope first, then the object's fields.
    /// </summary>
    /// <exception cref="KubeProtobufException">The body is not valid, or its kind is not in the schema.</exception>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw new KubeProtobufException("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }
        var buffer = body;
        var reader = new ProtoReader(buffer[Magic.Length..]);
        var apiVersion = "";
        var kind = "";
        var contentEncoding = "";
        Segment? raw = null;
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (wireType != WireType.LengthDelimited || number > 4)
            {
                reader.Skip(wireType, number);
                continue;
            }
            var (offset, length) = reader.ReadLengthDelimited();
            var value = buffer.Slice(Magic.Length + offset, length);
            switch (number)
            {
                case 1:
                    (apiVersion, kind) = ReadTypeMeta(value);
                    break;
                case 2:
                    raw = new Segment(Magic.Length + offset, length);
                    break;
                case 3:
                    contentEncoding = Encoding.UTF8.GetString(value);
                    break;
            }
        }
        if (contentEncoding.Length > 0)
        {
            throw new KubeProtobufException($"unsupported content encoding \"{contentEncoding}\"");
        }
        var message = ProtoSchema.Instance.FindKind(apiVersion, kind)
            ?? throw new KubeProtobufException($"no protobuf schema for apiVersion \"{apiVersion}\", kind \"{kind}\"");
        var result = new JsonObject();
        if (kind.Length > 0)
        {
            result["kind"] = kind;
        }
        if (apiVersion.Length > 0)
        {
            result["apiVersion"] = apiVersion;
        }
        var obj = (JsonObject)ProtoJsonDecoder.DecodeValue(message, buffer, raw is { } r ? [r] : [])!;
        foreach (var (name, value) in obj.ToList())
        {
            obj.Remove(name);
            result[name] = value;
        }
        return result;
    }

    /// <summary>
    /// Encodes a JSON object (with <c>apiVersion</c> and <c>kind</c>) as a protobuf body, byte for byte as
    /// client-go would send the same object.
    /// </summary>
    /// <exception cref="KubeProtobufException">The kind is not in the schema, or a value has the wrong JSON type.</exception>
    public static byte[] Encode(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = StringProperty(obj, "apiVersion");
        var kind = StringProperty(obj, "kind");
        var message = ProtoSchema.Instance.FindKind(apiVersion, kind)
            ?? throw new KubeProtobufException($"no protobuf schema for apiVersion \"{apiVersion}\", kind \"{kind}\"");
        var raw = ProtoJsonEncoder.EncodeBody(message, obj, Root);

        var typeMeta = new ProtoWriter();
        typeMeta.WriteBytes(1, Encoding.UTF8.GetBytes(apiVersion));
        typeMeta.WriteBytes(2, Encoding.UTF8.GetBytes(kind));
        var unknown = new ProtoWriter();
        unknown.WriteRaw(Magic);
        unknown.WriteBytes(1, typeMeta.WrittenSpan);
        unknown.WriteBytes(2, raw);
        unknown.WriteBytes(3, []);
        unknown.WriteBytes(4, []);
        return unknown.ToArray();
    }

    /// <summary>Whether objects of this apiVersion and kind can be decoded and encoded.</summary>
    public static bool IsSupported(string apiVersion, string kind) => ProtoSchema.Instance.FindKind(apiVersion, kind) is not null;

    private static (string ApiVersion, string Kind) ReadTypeMeta(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var apiVersion = "";
        var kind = "";
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (wireType == WireType.LengthDelimited && number is 1 or 2)
            {
                var (offset, length) = reader.ReadLengthDelimited();
                var text = Encoding.UTF8.GetString(data.Slice(offset, length));
                if (number == 1)
                {
                    apiVersion = text;
                }
                else
                {
                    kind = text;
                }
            }
            else
            {
                reader.Skip(wireType, number);
            }
        }
        return (apiVersion, kind);
    }

    private static string StringProperty(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new KubeProtobufException($"the object has no string \"{name}\"");
}
