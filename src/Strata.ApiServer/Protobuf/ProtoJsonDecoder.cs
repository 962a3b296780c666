using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Protobuf;

/// <summary>A byte range of the buffer being decoded.</summary>
internal readonly record struct Segment(int Offset, int Length);

/// <summary>
/// Turns protobuf messages into the JSON that Go's encoding/json prints for the Go object the
/// generated Unmarshal would have filled: fields in Go declaration order, <c>omitempty</c> honoured,
/// nil pointers, slices and maps printed as <c>null</c> when the tag lacks <c>omitempty</c>, value
/// structs always printed, and the custom MarshalJSON forms of the special types.
/// </summary>
internal static class ProtoJsonDecoder
{
    /// <summary>One occurrence of a field: its varint or fixed value, or the range of its payload.</summary>
    private readonly record struct Slot(ulong Value, int Offset, int Length)
    {
        public Segment Segment => new(Offset, Length);
    }

    private static readonly Segment[] s_none = [];

    public static JsonNode? DecodeValue(MessageSchema message, ReadOnlySpan<byte> buffer, IReadOnlyList<Segment> segments)
    {
        var slots = Collect(message, buffer, segments);
        switch (message.Special)
        {
            case SpecialType.None:
                var obj = new JsonObject();
                AppendFields(obj, message, buffer, slots);
                return obj;
            case SpecialType.Time:
                // Time.Unmarshal: empty data is the zero time; otherwise time.Unix(seconds, 0).
                return AllEmpty(segments) ? null : JsonValue.Create(GoFormats.FormatTime((long)Last(slots, 1)));
            case SpecialType.MicroTime:
                return AllEmpty(segments) ? null : JsonValue.Create(GoFormats.FormatMicroTime((long)Last(slots, 1), (int)Last(slots, 2)));
            case SpecialType.Duration:
                return JsonValue.Create(GoFormats.FormatDuration((long)Last(slots, 1)));
            case SpecialType.IntOrString:
                var type = (long)Last(slots, 1);
                return type switch
                {
                    0 => JsonValue.Create((int)Last(slots, 2)),
                    1 => JsonValue.Create(LastString(slots, 3, buffer) ?? ""),
                    _ => throw new KubeProtobufException("impossible IntOrString.Type"),
                };
            case SpecialType.Quantity:
                var quantity = LastString(slots, 1, buffer);
                if (quantity is null)
                {
                    return JsonValue.Create("0");
                }
                if (quantity.Length == 0)
                {
                    throw new KubeProtobufException("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
                }
                return JsonValue.Create(quantity);
            case SpecialType.RawJson:
                return RawJson(slots, buffer);
            case SpecialType.StringList:
                return StringArray(slots, 1, buffer);
            case SpecialType.SchemaOrBool:
                if (slots.TryGetValue(2, out var schema))
                {
                    return DecodeValue(message.ByNumber[2].Message!, buffer, Segments(schema));
                }
                return JsonValue.Create(Last(slots, 1) != 0);
            case SpecialType.SchemaOrArray:
                if (slots.TryGetValue(2, out var schemas))
                {
                    var array = new JsonArray();
                    foreach (var slot in schemas)
                    {
                        array.Add(DecodeValue(message.ByNumber[2].Message!, buffer, [slot.Segment]));
                    }
                    return array;
                }
                return slots.TryGetValue(1, out schema) ? DecodeValue(message.ByNumber[1].Message!, buffer, Segments(schema)) : null;
            case SpecialType.SchemaOrStringArray:
                if (slots.ContainsKey(2))
                {
                    return StringArray(slots, 2, buffer);
                }
                return slots.TryGetValue(1, out schema) ? DecodeValue(message.ByNumber[1].Message!, buffer, Segments(schema)) : null;
            default:
                throw new InvalidOperationException($"unhandled special type {message.Special}");
        }
    }

    private static void AppendFields(JsonObject target, MessageSchema message, ReadOnlySpan<byte> buffer, Dictionary<int, List<Slot>> slots)
    {
        foreach (var field in message.Fields)
        {
            slots.TryGetValue(field.Number, out var list);
            if (field.Inline)
            {
                // An embedded struct without a JSON name: Go flattens its fields into this object.
                var inner = field.Message!;
                AppendFields(target, inner, buffer, Collect(inner, buffer, list is null ? s_none : Segments(list)));
                continue;
            }
            switch (field.Shape)
            {
                case FieldShape.Scalar:
                    if (list is null)
                    {
                        if (!field.OmitEmpty)
                        {
                            target[field.JsonName] = field.Pointer ? null : ZeroScalar(field.Type);
                        }
                    }
                    else
                    {
                        var slot = list[^1];
                        if (field.Pointer || !field.OmitEmpty || !IsZero(field.Type, slot, buffer))
                        {
                            target[field.JsonName] = Scalar(field.Type, slot, buffer);
                        }
                    }
                    break;
                case FieldShape.Bytes:
                    if (list is null)
                    {
                        if (!field.OmitEmpty)
                        {
                            target[field.JsonName] = null;
                        }
                    }
                    else if (!field.OmitEmpty || list[^1].Length > 0)
                    {
                        target[field.JsonName] = Scalar("bytes", list[^1], buffer);
                    }
                    break;
                case FieldShape.Repeated:
                    if (list is null)
                    {
                        if (!field.OmitEmpty)
                        {
                            target[field.JsonName] = null;
                        }
                        break;
                    }
                    var array = new JsonArray();
                    foreach (var slot in list)
                    {
                        array.Add(field.Message is { } element
                            ? DecodeValue(element, buffer, [slot.Segment])
                            : Scalar(field.Type, slot, buffer));
                    }
                    target[field.JsonName] = array;
                    break;
                case FieldShape.Map:
                    if (list is null)
                    {
                        if (!field.OmitEmpty)
                        {
                            target[field.JsonName] = null;
                        }
                        break;
                    }
                    target[field.JsonName] = Map(field, list, buffer);
                    break;
                case FieldShape.Message:
                    var type = field.Message!;
                    if (type.Special == SpecialType.StringList)
                    {
                        // A named slice: nil when absent, and omitempty drops it when empty.
                        if (list is null)
                        {
                            if (!field.OmitEmpty)
                            {
                                target[field.JsonName] = null;
                            }
                        }
                        else
                        {
                            var value = (JsonArray)DecodeValue(type, buffer, Segments(list))!;
                            if (!field.OmitEmpty || value.Count > 0)
                            {
                                target[field.JsonName] = value;
                            }
                        }
                        break;
                    }
                    if (list is null && field.Pointer)
                    {
                        if (!field.OmitEmpty)
                        {
                            target[field.JsonName] = null;
                        }
                        break;
                    }
                    // A struct held by value is printed even when zero: omitempty never applies to structs.
                    target[field.JsonName] = DecodeValue(type, buffer, list is null ? s_none : Segments(list));
                    break;
            }
        }
    }

    private static JsonObject Map(FieldSchema field, List<Slot> entries, ReadOnlySpan<byte> buffer)
    {
        var values = new SortedDictionary<string, JsonNode?>(Utf8Comparer.Instance);
        foreach (var entry in entries)
        {
            Slot? key = null;
            Slot? value = null;
            var reader = new ProtoReader(buffer.Slice(entry.Offset, entry.Length));
            while (!reader.End)
            {
                var (number, wireType) = reader.ReadTag();
                var expected = number == 1 ? field.MapKey! : field.Message is null ? field.Type : "message";
                if (number is 1 or 2)
                {
                    var slot = ReadSlot(ref reader, wireType, expected, entry.Offset, field, number);
                    if (number == 1)
                    {
                        key = slot;
                    }
                    else
                    {
                        value = slot;
                    }
                }
                else
                {
                    reader.Skip(wireType, number);
                }
            }
            var keyText = key is { } k ? Scalar(field.MapKey!, k, buffer)!.ToString() : field.MapKey == "string" ? "" : "0";
            JsonNode? json;
            if (field.Message is { } valueType)
            {
                json = DecodeValue(valueType, buffer, value is { } v ? [v.Segment] : s_none);
            }
            else
            {
                json = value is { } v ? Scalar(field.Type, v, buffer) : ZeroScalar(field.Type);
            }
            values[keyText] = json;
        }
        var result = new JsonObject();
        foreach (var (key, value) in values)
        {
            result[key] = value;
        }
        return result;
    }

    private static Dictionary<int, List<Slot>> Collect(MessageSchema message, ReadOnlySpan<byte> buffer, IReadOnlyList<Segment> segments)
    {
        var slots = new Dictionary<int, List<Slot>>();
        foreach (var segment in segments)
        {
            var reader = new ProtoReader(buffer.Slice(segment.Offset, segment.Length));
            while (!reader.End)
            {
                var (number, wireType) = reader.ReadTag();
                if (!message.ByNumber.TryGetValue(number, out var field))
                {
                    // Unknown fields are skipped, as the generated Go Unmarshal does.
                    reader.Skip(wireType, number);
                    continue;
                }
                if (!slots.TryGetValue(number, out var list))
                {
                    list = [];
                    slots[number] = list;
                }
                var expected = field.Shape == FieldShape.Map || field.Message is not null ? "message" : field.Type;
                if (field.Shape == FieldShape.Repeated && field.Message is null && wireType == WireType.LengthDelimited
                    && ScalarTypes.WireTypeOf(field.Type) != WireType.LengthDelimited)
                {
                    // A packed repeated scalar.
                    var (offset, length) = reader.ReadLengthDelimited();
                    var packed = new ProtoReader(buffer.Slice(segment.Offset + offset, length));
                    while (!packed.End)
                    {
                        list.Add(ReadSlot(ref packed, ScalarTypes.WireTypeOf(field.Type), field.Type, segment.Offset + offset, field, number));
                    }
                    continue;
                }
                list.Add(ReadSlot(ref reader, wireType, expected, segment.Offset, field, number));
            }
        }
        return slots;
    }

    private static Slot ReadSlot(ref ProtoReader reader, WireType wireType, string type, int baseOffset, FieldSchema field, int number)
    {
        var expected = type == "message" ? WireType.LengthDelimited : ScalarTypes.WireTypeOf(type);
        if (wireType != expected)
        {
            throw new KubeProtobufException($"proto: wrong wireType = {(int)wireType} for field {field.JsonName} ({number})");
        }
        switch (wireType)
        {
            case WireType.Varint:
                return new Slot(reader.ReadVarint(), 0, 0);
            case WireType.Fixed64:
                return new Slot(reader.ReadFixed64(), 0, 0);
            case WireType.Fixed32:
                return new Slot(reader.ReadFixed32(), 0, 0);
            default:
                var (offset, length) = reader.ReadLengthDelimited();
                return new Slot(0, baseOffset + offset, length);
        }
    }

    private static JsonNode? Scalar(string type, Slot slot, ReadOnlySpan<byte> buffer) => type switch
    {
        "string" => JsonValue.Create(Encoding.UTF8.GetString(buffer.Slice(slot.Offset, slot.Length))),
        "bytes" => JsonValue.Create(Convert.ToBase64String(buffer.Slice(slot.Offset, slot.Length))),
        "bool" => JsonValue.Create(slot.Value != 0),
        "int32" or "sfixed32" => JsonValue.Create((int)slot.Value),
        "int64" or "sfixed64" => JsonValue.Create((long)slot.Value),
        "uint32" or "fixed32" => JsonValue.Create((uint)slot.Value),
        "uint64" or "fixed64" => JsonValue.Create(slot.Value),
        "sint32" => JsonValue.Create((int)((uint)slot.Value >> 1) ^ -(int)(slot.Value & 1)),
        "sint64" => JsonValue.Create((long)(slot.Value >> 1) ^ -(long)(slot.Value & 1)),
        "double" => JsonValue.Create(BitConverter.UInt64BitsToDouble(slot.Value)),
        "float" => JsonValue.Create(BitConverter.UInt32BitsToSingle((uint)slot.Value)),
        _ => throw new InvalidOperationException($"not a scalar type: {type}"),
    };

    private static bool IsZero(string type, Slot slot, ReadOnlySpan<byte> buffer) => type switch
    {
        "string" or "bytes" => slot.Length == 0,
        "double" => BitConverter.UInt64BitsToDouble(slot.Value) == 0,
        "float" => BitConverter.UInt32BitsToSingle((uint)slot.Value) == 0,
        "int32" or "sfixed32" or "uint32" or "fixed32" or "sint32" => (uint)slot.Value == 0,
        _ => slot.Value == 0,
    };

    private static JsonNode ZeroScalar(string type) => type switch
    {
        "string" => JsonValue.Create(""),
        "bool" => JsonValue.Create(false),
        _ => JsonValue.Create(0),
    };

    private static JsonNode? RawJson(Dictionary<int, List<Slot>> slots, ReadOnlySpan<byte> buffer)
    {
        if (!slots.TryGetValue(1, out var list) || list[^1].Length == 0)
        {
            return null;
        }
        var raw = buffer.Slice(list[^1].Offset, list[^1].Length);
        if (raw.StartsWith(KubeProtobuf.Magic))
        {
            // An embedded object in protobuf (the items of a protobuf List, for example).
            return KubeProtobuf.Decode(raw);
        }
        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw new KubeProtobufException("embedded raw JSON is not valid JSON: " + e.Message, e);
        }
    }

    private static JsonArray StringArray(Dictionary<int, List<Slot>> slots, int number, ReadOnlySpan<byte> buffer)
    {
        var array = new JsonArray();
        if (slots.TryGetValue(number, out var list))
        {
            foreach (var slot in list)
            {
                array.Add(Scalar("string", slot, buffer));
            }
        }
        return array;
    }

    private static ulong Last(Dictionary<int, List<Slot>> slots, int number) =>
        slots.TryGetValue(number, out var list) ? list[^1].Value : 0;

    private static string? LastString(Dictionary<int, List<Slot>> slots, int number, ReadOnlySpan<byte> buffer) =>
        slots.TryGetValue(number, out var list) ? Encoding.UTF8.GetString(buffer.Slice(list[^1].Offset, list[^1].Length)) : null;

    private static bool AllEmpty(IReadOnlyList<Segment> segments)
    {
        foreach (var segment in segments)
        {
            if (segment.Length > 0)
            {
                return false;
            }
        }
        return true;
    }

    private static Segment[] Segments(List<Slot> list)
    {
        var segments = new Segment[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            segments[i] = list[i].Segment;
        }
        return segments;
    }
}

/// <summary>Orders strings by their UTF-8 bytes, as Go's sort.Strings does (map keys on the wire and in JSON).</summary>
internal sealed class Utf8Comparer : IComparer<string>
{
    public static readonly Utf8Comparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }
        // Comparing code points orders exactly as comparing UTF-8 bytes does.
        var i = 0;
        var j = 0;
        while (i < x.Length && j < y.Length)
        {
            var a = CodePointAt(x, ref i);
            var b = CodePointAt(y, ref j);
            if (a != b)
            {
                return a.CompareTo(b);
            }
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }

    /// <summary>Reads one code point at <paramref name="index"/> and advances past it; lone surrogates read as themselves.</summary>
    private static int CodePointAt(string s, ref int index)
    {
        var c = s[index];
        if (char.IsHighSurrogate(c) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            var cp = char.ConvertToUtf32(c, s[index + 1]);
            index += 2;
            return cp;
        }
        index++;
        return c;
    }
}
