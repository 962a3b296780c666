using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Protobuf;

/// <summary>
/// Turns JSON into protobuf the way the Go object the JSON unmarshals into would be marshalled by
/// the generated code: fields in ascending number order; value fields (scalars and structs) always
/// written, zero or not; pointers, byte slices, slices and maps written only when non-nil; map
/// entries sorted by key.
/// </summary>
internal static class ProtoJsonEncoder
{
    public static byte[] EncodeBody(MessageSchema message, JsonNode? value, string path)
    {
        var writer = new ProtoWriter();
        WriteBody(writer, message, value, path);
        return writer.ToArray();
    }

    private static void WriteBody(ProtoWriter writer, MessageSchema message, JsonNode? value, string path)
    {
        switch (message.Special)
        {
            case SpecialType.None:
                if (value is not null and not JsonObject)
                {
                    throw Mismatch(path, "an object", value);
                }
                WriteFields(writer, message, (JsonObject?)value, path);
                break;
            case SpecialType.Time:
            case SpecialType.MicroTime:
                if (value is null)
                {
                    break;
                }
                var (seconds, nanos) = GoFormats.ParseTime(String(value, path));
                if (seconds == GoFormats.ZeroTimeUnixSeconds && nanos == 0)
                {
                    break;
                }
                writer.WriteTag(1, WireType.Varint);
                writer.WriteVarint((ulong)seconds);
                writer.WriteTag(2, WireType.Varint);
                // Time drops the nanoseconds (ProtoTime); MicroTime keeps them.
                writer.WriteVarint(message.Special == SpecialType.Time ? 0 : (ulong)(nanos / 1000 * 1000));
                break;
            case SpecialType.Duration:
                writer.WriteTag(1, WireType.Varint);
                writer.WriteVarint((ulong)(value is null ? 0 : GoFormats.ParseDuration(String(value, path))));
                break;
            case SpecialType.IntOrString:
                long type = 0;
                long intVal = 0;
                var strVal = "";
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    type = 1;
                    strVal = v.GetValue<string>();
                }
                else if (value is not null)
                {
                    intVal = Integer(value, path, int.MinValue, int.MaxValue);
                }
                writer.WriteTag(1, WireType.Varint);
                writer.WriteVarint((ulong)type);
                writer.WriteTag(2, WireType.Varint);
                writer.WriteVarint((ulong)intVal);
                writer.WriteBytes(3, Encoding.UTF8.GetBytes(strVal));
                break;
            case SpecialType.Quantity:
                string quantity = value switch
                {
                    null => "0",
                    JsonValue q when q.GetValueKind() == JsonValueKind.String => q.GetValue<string>(),
                    JsonValue q when q.GetValueKind() == JsonValueKind.Number => q.ToJsonString(),
                    _ => throw Mismatch(path, "a quantity", value),
                };
                writer.WriteBytes(1, Encoding.UTF8.GetBytes(quantity));
                break;
            case SpecialType.RawJson:
                if (value is not null)
                {
                    writer.WriteBytes(1, JsonSerializer.SerializeToUtf8Bytes(value));
                }
                break;
            case SpecialType.StringList:
                if (value is not null)
                {
                    foreach (var item in Array(value, path))
                    {
                        writer.WriteBytes(1, Encoding.UTF8.GetBytes(item is null ? "" : String(item, path)));
                    }
                }
                break;
            case SpecialType.SchemaOrBool:
                var schemaType = message.ByNumber[2].Message!;
                switch (value)
                {
                    case JsonObject schema:
                        writer.WriteTag(1, WireType.Varint);
                        writer.WriteVarint(1);
                        writer.WriteBytes(2, EncodeBody(schemaType, schema, path));
                        break;
                    case JsonValue b when b.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                        writer.WriteTag(1, WireType.Varint);
                        writer.WriteVarint(b.GetValue<bool>() ? 1UL : 0UL);
                        break;
                    default:
                        throw new KubeProtobufException($"{path}: boolean or JSON schema expected");
                }
                break;
            case SpecialType.SchemaOrArray:
                switch (value)
                {
                    case JsonObject schema:
                        writer.WriteBytes(1, EncodeBody(message.ByNumber[1].Message!, schema, path));
                        break;
                    case JsonArray schemas:
                        foreach (var schema in schemas)
                        {
                            writer.WriteBytes(2, EncodeBody(message.ByNumber[2].Message!, schema, path));
                        }
                        break;
                }
                break;
            case SpecialType.SchemaOrStringArray:
                switch (value)
                {
                    case JsonObject schema:
                        writer.WriteBytes(1, EncodeBody(message.ByNumber[1].Message!, schema, path));
                        break;
                    case JsonArray strings:
                        foreach (var item in strings)
                        {
                            writer.WriteBytes(2, Encoding.UTF8.GetBytes(item is null ? "" : String(item, path)));
                        }
                        break;
                }
                break;
            default:
                throw new InvalidOperationException($"unhandled special type {message.Special}");
        }
    }

    public static void WriteFields(ProtoWriter writer, MessageSchema message, JsonObject? obj, string path)
    {
        foreach (var field in message.WireOrder)
        {
            if (field.Inline)
            {
                // The embedded struct's fields sit in this same JSON object.
                writer.WriteBytes(field.Number, EncodeBody(field.Message!, obj, path));
                continue;
            }
            JsonNode? value = null;
            var present = obj is not null && obj.TryGetPropertyValue(field.JsonName, out value) && value is not null;
            var fieldPath = path + "." + field.JsonName;
            switch (field.Shape)
            {
                case FieldShape.Scalar:
                    if (present || !field.Pointer)
                    {
                        WriteScalar(writer, field.Number, field.Type, present ? value : null, fieldPath);
                    }
                    break;
                case FieldShape.Bytes:
                    if (present)
                    {
                        writer.WriteBytes(field.Number, Base64(value!, fieldPath));
                    }
                    break;
                case FieldShape.Repeated:
                    if (!present)
                    {
                        break;
                    }
                    var i = 0;
                    foreach (var element in Array(value!, fieldPath))
                    {
                        var elementPath = $"{fieldPath}[{i++}]";
                        if (field.Message is { } elementType)
                        {
                            writer.WriteBytes(field.Number, EncodeBody(elementType, element, elementPath));
                        }
                        else if (field.Type == "bytes")
                        {
                            writer.WriteBytes(field.Number, element is null ? [] : Base64(element, elementPath));
                        }
                        else
                        {
                            WriteScalar(writer, field.Number, field.Type, element, elementPath);
                        }
                    }
                    break;
                case FieldShape.Map:
                    if (present)
                    {
                        WriteMap(writer, field, value!, fieldPath);
                    }
                    break;
                case FieldShape.Message:
                    if (present || !(field.Pointer || field.Message!.Special == SpecialType.StringList))
                    {
                        writer.WriteBytes(field.Number, EncodeBody(field.Message!, present ? value : null, fieldPath));
                    }
                    break;
            }
        }
    }

    private static void WriteMap(ProtoWriter writer, FieldSchema field, JsonNode value, string path)
    {
        if (value is not JsonObject map)
        {
            throw Mismatch(path, "an object", value);
        }
        var keys = map.Select(p => p.Key).ToList();
        keys.Sort(Utf8Comparer.Instance);
        foreach (var key in keys)
        {
            var entryPath = $"{path}[{key}]";
            var item = map[key];
            var entry = new ProtoWriter();
            if (field.MapKey == "string")
            {
                entry.WriteBytes(1, Encoding.UTF8.GetBytes(key));
            }
            else
            {
                WriteScalar(entry, 1, field.MapKey!, JsonNode.Parse(key), entryPath);
            }
            if (field.Message is { } valueType)
            {
                entry.WriteBytes(2, EncodeBody(valueType, item, entryPath));
            }
            else if (field.Type == "bytes")
            {
                // Go writes a map's byte-slice value only when it is non-nil.
                if (item is not null)
                {
                    entry.WriteBytes(2, Base64(item, entryPath));
                }
            }
            else
            {
                WriteScalar(entry, 2, field.Type, item, entryPath);
            }
            writer.WriteBytes(field.Number, entry.WrittenSpan);
        }
    }

    private static void WriteScalar(ProtoWriter writer, int number, string type, JsonNode? value, string path)
    {
        switch (type)
        {
            case "string":
                writer.WriteBytes(number, Encoding.UTF8.GetBytes(value is null ? "" : String(value, path)));
                return;
            case "bytes":
                writer.WriteBytes(number, value is null ? [] : Base64(value, path));
                return;
            case "bool":
                writer.WriteTag(number, WireType.Varint);
                writer.WriteVarint(value is not null && Bool(value, path) ? 1UL : 0UL);
                return;
            case "double":
                writer.WriteTag(number, WireType.Fixed64);
                writer.WriteFixed64(BitConverter.DoubleToUInt64Bits(value is null ? 0 : Double(value, path)));
                return;
            case "float":
                writer.WriteTag(number, WireType.Fixed32);
                writer.WriteFixed32(BitConverter.SingleToUInt32Bits(value is null ? 0 : (float)Double(value, path)));
                return;
        }
        ulong bits = type switch
        {
            "int32" or "sfixed32" => (ulong)Integer(value, path, int.MinValue, int.MaxValue),
            "int64" or "sfixed64" => (ulong)Integer(value, path, long.MinValue, long.MaxValue),
            "uint32" or "fixed32" => (ulong)Integer(value, path, 0, uint.MaxValue),
            "uint64" or "fixed64" => Unsigned(value, path),
            "sint32" => ZigZag(Integer(value, path, int.MinValue, int.MaxValue)),
            "sint64" => ZigZag(Integer(value, path, long.MinValue, long.MaxValue)),
            _ => throw new InvalidOperationException($"not a scalar type: {type}"),
        };
        switch (type)
        {
            case "sfixed32" or "fixed32":
                writer.WriteTag(number, WireType.Fixed32);
                writer.WriteFixed32((uint)bits);
                break;
            case "sfixed64" or "fixed64":
                writer.WriteTag(number, WireType.Fixed64);
                writer.WriteFixed64(bits);
                break;
            default:
                writer.WriteTag(number, WireType.Varint);
                writer.WriteVarint(bits);
                break;
        }
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static string String(JsonNode value, string path) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Mismatch(path, "a string", value);

    private static bool Bool(JsonNode value, string path) => value.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Mismatch(path, "a boolean", value),
    };

    private static long Integer(JsonNode? value, string path, long min, long max)
    {
        if (value is null)
        {
            return 0;
        }
        if (value.GetValueKind() != JsonValueKind.Number
            || !long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            || n < min || n > max)
        {
            throw Mismatch(path, "an integer in range", value);
        }
        return n;
    }

    private static ulong Unsigned(JsonNode? value, string path)
    {
        if (value is null)
        {
            return 0;
        }
        if (value.GetValueKind() != JsonValueKind.Number
            || !ulong.TryParse(value.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw Mismatch(path, "an unsigned integer", value);
        }
        return n;
    }

    private static double Double(JsonNode value, string path) =>
        value.GetValueKind() == JsonValueKind.Number
            && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw Mismatch(path, "a number", value);

    private static byte[] Base64(JsonNode value, string path)
    {
        try
        {
            return Convert.FromBase64String(String(value, path));
        }
        catch (FormatException e) when (e is not KubeProtobufException)
        {
            throw new KubeProtobufException($"{path}: illegal base64 data", e);
        }
    }

    private static JsonArray Array(JsonNode value, string path) => value as JsonArray ?? throw Mismatch(path, "an array", value);

    private static KubeProtobufException Mismatch(string path, string expected, JsonNode? value) =>
        new($"{path}: expected {expected}, got {value?.GetValueKind().ToString() ?? "null"}");
}
