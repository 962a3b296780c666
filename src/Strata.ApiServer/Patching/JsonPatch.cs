using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Patching;

/// <summary>
/// RFC 6902 JSON Patch (<c>application/json-patch+json</c>) with the behaviour of the library
/// kube-apiserver uses (gopkg.in/evanphx/json-patch.v4 v4.12.0): its error messages, negative
/// array indices counted from the end, <c>replace</c> of a missing object member adding it,
/// a whole-document <c>replace</c> at path <c>""</c>, and <c>copy</c> of a missing member
/// copying <c>null</c>. Decoding failures answer 400, application failures 422.
/// </summary>
public static class JsonPatch
{
    /// <summary>The most operations kube-apiserver accepts in one patch (more answers 413).</summary>
    public const int MaxOperations = 10000;

    private const string ErrMissing = "missing value";
    private const string ErrInvalidIndex = "invalid index referenced";
    private const string ErrTestFailed = "test failed";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="document"/>.</summary>
    /// <exception cref="JsonPatchException">The patch cannot be decoded or applied.</exception>
    public static JsonNode Apply(JsonNode document, JsonNode patch)
    {
        ArgumentNullException.ThrowIfNull(document);
        var operations = Decode(patch);
        if (document is not JsonObject && document is not JsonArray)
        {
            throw new JsonPatchException(
                $"json: cannot unmarshal {GoJsonName(document)} into Go value of type jsonpatch.partialDoc", 422);
        }

        var root = new Root(document.DeepClone());
        foreach (var operation in operations)
        {
            var kind = operation["op"] is JsonValue op && op.GetValueKind() == JsonValueKind.String
                ? op.GetValue<string>()
                : "unknown";
            switch (kind)
            {
                case "add":
                    Add(root, operation);
                    break;
                case "remove":
                    Remove(root, operation);
                    break;
                case "replace":
                    Replace(root, operation);
                    break;
                case "move":
                    Move(root, operation);
                    break;
                case "test":
                    Test(root, operation);
                    break;
                case "copy":
                    Copy(root, operation);
                    break;
                default:
                    throw Unprocessable($"Unexpected kind: {kind}");
            }
        }

        return root.Node;
    }

    private static List<JsonObject> Decode(JsonNode patch)
    {
        if (patch is not JsonArray array)
        {
            throw new JsonPatchException(
                $"json: cannot unmarshal {GoJsonName(patch)} into Go value of type jsonpatch.Patch", 400);
        }

        var operations = new List<JsonObject>(array.Count);
        foreach (var item in array)
        {
            switch (item)
            {
                case JsonObject obj:
                    operations.Add(obj);
                    break;
                case null:
                    operations.Add(new JsonObject());
                    break;
                default:
                    throw new JsonPatchException(
                        $"json: cannot unmarshal {GoJsonName(item)} into Go value of type jsonpatch.Operation", 400);
            }
        }

        if (operations.Count > MaxOperations)
        {
            throw new JsonPatchException(
                $"The allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}", 413);
        }

        return operations;
    }

    private static string GoJsonName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
    };

    private static JsonPatchException Unprocessable(string message) => new(message, 422);

    // Operation.Path()/From(): a missing field wraps ErrMissing, a non-string one is a decode error.
    private static string? Member(JsonObject operation, string name, out string error)
    {
        error = string.Empty;
        if (!operation.TryGetPropertyValue(name, out var node) || node is null)
        {
            error = name == "path"
                ? "operation missing path field: " + ErrMissing
                : "operation, missing from field: " + ErrMissing;
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            error = $"json: cannot unmarshal {GoJsonName(node)} into Go value of type string";
            return null;
        }

        return node.GetValue<string>();
    }

    // The operation's "value": absent is distinct from null.
    private static bool TryValue(JsonObject operation, out JsonNode? value)
    {
        if (operation.TryGetPropertyValue("value", out var node))
        {
            value = node?.DeepClone();
            return true;
        }

        value = null;
        return false;
    }

    private static void Add(Root root, JsonObject operation)
    {
        var path = Member(operation, "path", out _);
        if (path is null)
        {
            throw Unprocessable("add operation failed to decode path: " + ErrMissing);
        }

        var (container, key) = FindObject(root, path);
        if (container is null)
        {
            throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\": {ErrMissing}");
        }

        TryValue(operation, out var value);
        var error = container.Add(key, value);
        if (error is not null)
        {
            throw Unprocessable($"error in add for path: '{path}': {error}");
        }
    }

    private static void Remove(Root root, JsonObject operation)
    {
        var path = Member(operation, "path", out _);
        if (path is null)
        {
            throw Unprocessable("remove operation failed to decode path: " + ErrMissing);
        }

        var (container, key) = FindObject(root, path);
        if (container is null)
        {
            throw Unprocessable($"remove operation does not apply: doc is missing path: \"{path}\": {ErrMissing}");
        }

        var error = container.Remove(key);
        if (error is not null)
        {
            throw Unprocessable($"error in remove for path: '{path}': {error}");
        }
    }

    private static void Replace(Root root, JsonObject operation)
    {
        var path = Member(operation, "path", out var pathError);
        if (path is null)
        {
            throw Unprocessable("replace operation failed to decode path: " + pathError);
        }

        if (path.Length == 0)
        {
            // Upstream wraps a nil error here, which is no error: a scalar value is ignored.
            if (TryValue(operation, out var whole) && (whole is JsonObject || whole is JsonArray))
            {
                root.Node = whole;
            }

            return;
        }

        var (container, key) = FindObject(root, path);
        if (container is null)
        {
            throw Unprocessable($"replace operation does not apply: doc is missing path: {path}: {ErrMissing}");
        }

        if (container.Get(key, out _) is not null)
        {
            throw Unprocessable($"replace operation does not apply: doc is missing key: {path}: {ErrMissing}");
        }

        TryValue(operation, out var value);
        var error = container.Set(key, value);
        if (error is not null)
        {
            throw Unprocessable($"error in remove for path: '{path}': {error}");
        }
    }

    private static void Move(Root root, JsonObject operation)
    {
        var from = Member(operation, "from", out var fromError);
        if (from is null)
        {
            throw Unprocessable("move operation failed to decode from: " + fromError);
        }

        var (source, sourceKey) = FindObject(root, from);
        if (source is null)
        {
            throw Unprocessable($"move operation does not apply: doc is missing from path: {from}: {ErrMissing}");
        }

        var error = source.Get(sourceKey, out var value);
        if (error is not null)
        {
            throw Unprocessable($"error in move for path: '{sourceKey}': {error}");
        }

        error = source.Remove(sourceKey);
        if (error is not null)
        {
            throw Unprocessable($"error in move for path: '{sourceKey}': {error}");
        }

        var path = Member(operation, "path", out var pathError);
        if (path is null)
        {
            throw Unprocessable("move operation failed to decode path: " + pathError);
        }

        var (target, key) = FindObject(root, path);
        if (target is null)
        {
            throw Unprocessable($"move operation does not apply: doc is missing destination path: {path}: {ErrMissing}");
        }

        error = target.Add(key, value);
        if (error is not null)
        {
            throw Unprocessable($"error in move for path: '{path}': {error}");
        }
    }

    private static void Test(Root root, JsonObject operation)
    {
        var path = Member(operation, "path", out var pathError);
        if (path is null)
        {
            throw Unprocessable("test operation failed to decode path: " + pathError);
        }

        var hasValue = TryValue(operation, out var expected);
        if (path.Length == 0)
        {
            if (hasValue && JsonNode.DeepEquals(root.Node, expected) && expected is not null)
            {
                return;
            }

            throw Unprocessable($"testing value {path} failed: {ErrTestFailed}");
        }

        var (container, key) = FindObject(root, path);
        if (container is null)
        {
            throw Unprocessable($"test operation does not apply: is missing path: {path}: {ErrMissing}");
        }

        var error = container.Get(key, out var actual);
        if (error is not null)
        {
            throw Unprocessable($"error in test for path: '{path}': {error}");
        }

        if (hasValue && ValuesEqual(actual, expected))
        {
            return;
        }

        throw Unprocessable($"testing value {path} failed: {ErrTestFailed}");
    }

    private static void Copy(Root root, JsonObject operation)
    {
        var from = Member(operation, "from", out var fromError);
        if (from is null)
        {
            throw Unprocessable("copy operation failed to decode from: " + fromError);
        }

        var (source, sourceKey) = FindObject(root, from);
        if (source is null)
        {
            throw Unprocessable($"copy operation does not apply: doc is missing from path: {from}: {ErrMissing}");
        }

        var error = source.Get(sourceKey, out var value);
        if (error is not null)
        {
            throw Unprocessable($"error in copy for from: '{from}': {error}");
        }

        var path = Member(operation, "path", out _);
        if (path is null)
        {
            throw Unprocessable("copy operation failed to decode path: " + ErrMissing);
        }

        var (target, key) = FindObject(root, path);
        if (target is null)
        {
            throw Unprocessable($"copy operation does not apply: doc is missing destination path: {path}: {ErrMissing}");
        }

        error = target.Add(key, value?.DeepClone());
        if (error is not null)
        {
            throw Unprocessable($"error while adding value during copy: {error}");
        }
    }

    // lazyNode.equal: containers structurally, scalars by their compact JSON text.
    private static bool ValuesEqual(JsonNode? a, JsonNode? b)
    {
        switch (a)
        {
            case null:
                return b is null;
            case JsonObject objA:
                if (b is not JsonObject objB || objA.Count != objB.Count)
                {
                    return false;
                }

                foreach (var (key, value) in objA)
                {
                    if (!objB.TryGetPropertyValue(key, out var other) || !ValuesEqual(value, other))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray arrA:
                if (b is not JsonArray arrB || arrA.Count != arrB.Count)
                {
                    return false;
                }

                for (var i = 0; i < arrA.Count; i++)
                {
                    if (!ValuesEqual(arrA[i], arrB[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return b is JsonValue && string.Equals(a.ToJsonString(), b.ToJsonString(), StringComparison.Ordinal);
        }
    }

    // RFC 6901: "~1" becomes "/" first, then "~0" becomes "~" (a single left-to-right pass).
    private static string DecodeKey(string token) =>
        token.Contains('~', StringComparison.Ordinal)
            ? token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)
            : token;

    // findObject: walks every token but the last; the last is returned as the key.
    private static (Container? Container, string Key) FindObject(Root root, string path)
    {
        var split = path.Split('/');
        if (split.Length < 2)
        {
            return (null, string.Empty);
        }

        Container container = Container.Of(root.Node);
        for (var i = 1; i < split.Length - 1; i++)
        {
            if (container.Get(DecodeKey(split[i]), out var next) is not null || next is null)
            {
                return (null, string.Empty);
            }

            if (next is not JsonObject && next is not JsonArray)
            {
                return (null, string.Empty);
            }

            container = Container.Of(next);
        }

        return (container, DecodeKey(split[^1]));
    }

    private sealed class Root
    {
        public Root(JsonNode node)
        {
            Node = node;
        }

        public JsonNode Node { get; set; }
    }

    // The partialDoc / partialArray operations; each returns upstream's error text or null.
    private abstract class Container
    {
        public static Container Of(JsonNode node) =>
            node is JsonArray array ? new ArrayContainer(array) : new ObjectContainer((JsonObject)node);

        public abstract string? Get(string key, out JsonNode? value);

        public abstract string? Set(string key, JsonNode? value);

        public abstract string? Add(string key, JsonNode? value);

        public abstract string? Remove(string key);
    }

    private sealed class ObjectContainer(JsonObject obj) : Container
    {
        public override string? Get(string key, out JsonNode? value)
        {
            obj.TryGetPropertyValue(key, out value);
            return null;
        }

        public override string? Set(string key, JsonNode? value)
        {
            obj[key] = value;
            return null;
        }

        public override string? Add(string key, JsonNode? value)
        {
            obj[key] = value;
            return null;
        }

        public override string? Remove(string key)
        {
            if (!obj.Remove(key))
            {
                return $"Unable to remove nonexistent key: {key}: {ErrMissing}";
            }

            return null;
        }
    }

    private sealed class ArrayContainer(JsonArray array) : Container
    {
        public override string? Get(string key, out JsonNode? value)
        {
            value = null;
            if (!TryAtoi(key, out var idx, out var error))
            {
                return error;
            }

            if (idx < 0)
            {
                if (idx < -array.Count)
                {
                    return InvalidIndex(idx);
                }

                idx += array.Count;
            }

            if (idx >= array.Count)
            {
                return InvalidIndex(idx);
            }

            value = array[idx];
            return null;
        }

        public override string? Set(string key, JsonNode? value)
        {
            if (!TryAtoi(key, out var idx, out var error))
            {
                return error;
            }

            if (idx < 0)
            {
                if (idx < -array.Count)
                {
                    return InvalidIndex(idx);
                }

                idx += array.Count;
            }

            array[idx] = value;
            return null;
        }

        public override string? Add(string key, JsonNode? value)
        {
            if (key == "-")
            {
                array.Add(value);
                return null;
            }

            if (!TryAtoi(key, out var idx, out var error))
            {
                return $"value was not a proper array index: '{key}': {error}";
            }

            var size = array.Count + 1;
            if (idx >= size)
            {
                return InvalidIndex(idx);
            }

            if (idx < 0)
            {
                if (idx < -size)
                {
                    return InvalidIndex(idx);
                }

                idx += size;
            }

            array.Insert(idx, value);
            return null;
        }

        public override string? Remove(string key)
        {
            if (!TryAtoi(key, out var idx, out var error))
            {
                return error;
            }

            if (idx >= array.Count)
            {
                return InvalidIndex(idx);
            }

            if (idx < 0)
            {
                if (idx < -array.Count)
                {
                    return InvalidIndex(idx);
                }

                idx += array.Count;
            }

            array.RemoveAt(idx);
            return null;
        }

        private static string InvalidIndex(long idx) =>
            $"Unable to access invalid index: {idx.ToString(CultureInfo.InvariantCulture)}: {ErrInvalidIndex}";

        // strconv.Atoi: optional sign, decimal digits, 64-bit range.
        private static bool TryAtoi(string key, out int idx, out string error)
        {
            error = string.Empty;
            var body = key.Length > 0 && (key[0] == '+' || key[0] == '-') ? key[1..] : key;
            if (body.Length == 0 || !body.All(char.IsAsciiDigit))
            {
                idx = 0;
                error = $"strconv.Atoi: parsing \"{key}\": invalid syntax";
                return false;
            }

            if (!long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                idx = 0;
                error = $"strconv.Atoi: parsing \"{key}\": value out of range";
                return false;
            }

            idx = (int)Math.Clamp(value, int.MinValue, int.MaxValue);
            return true;
        }
    }
}
