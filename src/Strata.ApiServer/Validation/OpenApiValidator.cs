using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>What kind of kube-openapi error an <see cref="OpenApiError"/> is (pkg/validation/errors codes).</summary>
internal enum OpenApiErrorCode
{
    /// <summary>Not an <c>errors.Validation</c>: the composite messages (anyOf, oneOf, ...) and range-check errors.</summary>
    Plain,
    InvalidType,
    Required,
    TooLong,
    TooShort,
    Pattern,
    Enum,
    MultipleOf,
    Max,
    Min,
    Unique,
    MaxItems,
    MinItems,
    TooFewProperties,
    TooManyProperties,
    UnallowedProperty,
    MultipleOfMustBePositive,
}

/// <summary>
/// One kube-openapi validation error: <c>errors.Validation</c> with its Name (the kube-openapi path),
/// Value (a Go value; <c>null</c> is nil), Valid and Values, and the message its <c>Error()</c> returns.
/// </summary>
internal sealed record OpenApiError(OpenApiErrorCode Code, string Name, JsonNode? Value, long Valid, JsonArray? Values, string Message);

/// <summary>validate.Result: errors deduplicated by message, and the match count anyOf/oneOf rank failures by.</summary>
internal sealed class OpenApiResult
{
    public List<OpenApiError> Errors { get; } = [];

    public int MatchCount { get; set; }

    public bool IsValid => Errors.Count == 0;

    public static OpenApiResult Of(OpenApiError error)
    {
        var r = new OpenApiResult();
        r.Errors.Add(error);
        return r;
    }

    public void Add(OpenApiError? error)
    {
        if (error is not null && !Errors.Exists(e => e.Message == error.Message))
        {
            Errors.Add(error);
        }
    }

    public OpenApiResult Merge(OpenApiResult? other)
    {
        if (other is not null)
        {
            foreach (var e in other.Errors)
            {
                Add(e);
            }
            MatchCount += other.MatchCount;
        }
        return this;
    }

    public void Inc() => MatchCount++;
}

/// <summary>
/// kube-openapi's SchemaValidator (pkg/validation/validate) as apiextensions-apiserver runs it on custom resources,
/// with <c>in = "body"</c> and root path <c>""</c>: the same validators in the same order (type, allOf/anyOf/oneOf/not,
/// string, format, number, slice, enum, object), the same messages, and the same best-failure selection for anyOf and
/// oneOf. With an old object it ratchets as CRDValidationRatcheting does: errors under a value that equals the
/// correlated old value are dropped (objects by key, list-type=map items by their keys).
/// </summary>
internal sealed class OpenApiValidator
{
    private const string In = "body";

    /// <summary>The correlated old value of a node (ratcheting); absent when none can be correlated.</summary>
    internal sealed record Correlation(JsonNode? Old);

    public static OpenApiResult Validate(OpenApiSchema schema, JsonNode? data) => new OpenApiValidator().ValidateNode(schema, data, "", null);

    public static OpenApiResult ValidateUpdate(OpenApiSchema schema, JsonNode? data, JsonNode? old) =>
        new OpenApiValidator().Ratcheted(schema, data, "", new Correlation(old));

    // ratchetingValueValidator.Validate: a failing subtree that equals its old value passes.
    private OpenApiResult Ratcheted(OpenApiSchema schema, JsonNode? data, string path, Correlation? correlation)
    {
        var result = ValidateNode(schema, data, path, correlation);
        if (correlation is not null && !result.IsValid && GoValues.DeepEqual(data, correlation.Old))
        {
            return new OpenApiResult { MatchCount = result.MatchCount };
        }
        return result;
    }

    private static Correlation? Key(Correlation? parent, string path, string field)
    {
        if (parent?.Old is not JsonObject old || !old.TryGetPropertyValue(field, out var child))
        {
            return null;
        }
        return path.Length == 0 && field is "kind" or "apiVersion" ? null : new Correlation(child);
    }

    // CorrelatedObject.Index: only items of a list-type=map list correlate, by their map keys.
    private static Correlation? Index(Correlation? parent, OpenApiSchema schema, JsonArray array, int index)
    {
        if (parent?.Old is not JsonArray old || schema.ListType != "map" || array[index] is not JsonObject item)
        {
            return null;
        }
        foreach (var candidate in old)
        {
            if (candidate is JsonObject o && schema.ListMapKeys.All(k => SameKey(item, o, k)))
            {
                return new Correlation(o);
            }
        }
        return null;
    }

    private static bool SameKey(JsonObject a, JsonObject b, string key)
    {
        var hasA = a.TryGetPropertyValue(key, out var va);
        var hasB = b.TryGetPropertyValue(key, out var vb);
        return hasA == hasB && (!hasA || GoValues.DeepEqual(va, vb));
    }

    // SchemaValidator.Validate.
    private OpenApiResult ValidateNode(OpenApiSchema s, JsonNode? data, string path, Correlation? correlation)
    {
        var result = new OpenApiResult();
        var kind = GoValues.KindOf(data);
        if (kind == GoKind.Nil)
        {
            result.Merge(TypeCheck(s, data, kind, path));
            result.Merge(EnumCheck(s, data, path));
            return result;
        }

        if (s.Types.Count > 0 || s.Format.Length > 0)
        {
            result.Merge(TypeCheck(s, data, kind, path));
            result.Inc();
        }
        result.Merge(SchemaProps(s, data, path, correlation));
        result.Inc();
        if (kind == GoKind.String)
        {
            result.Merge(StringCheck(s, GoValues.AsString(data!), path));
            result.Inc();
            if (OpenApiFormats.IsKnown(s.Format))
            {
                result.Merge(FormatCheck(s, GoValues.AsString(data!), path));
                result.Inc();
            }
        }
        if (kind is GoKind.Int or GoKind.Float)
        {
            result.Merge(NumberCheck(s, data!, kind, path));
            result.Inc();
        }
        if (kind == GoKind.Array)
        {
            result.Merge(SliceCheck(s, (JsonArray)data!, path, correlation));
            result.Inc();
        }
        result.Merge(EnumCheck(s, data, path));
        result.Inc();
        if (kind == GoKind.Object)
        {
            result.Merge(ObjectCheck(s, (JsonObject)data!, path, correlation));
            result.Inc();
        }
        result.Inc();
        return result;
    }

    // typeValidator.
    private static OpenApiResult TypeCheck(OpenApiSchema s, JsonNode? data, GoKind kind, string path)
    {
        var result = new OpenApiResult();
        result.Inc();
        var types = string.Join(",", s.Types);
        if (kind == GoKind.Nil)
        {
            return s.Types.Count > 0 && !s.Types.Contains("null") && !s.Nullable
                ? OpenApiResult.Of(InvalidType(path, types, "null"))
                : result;
        }
        var (schType, format) = kind switch
        {
            GoKind.Bool => ("boolean", ""),
            GoKind.String => ("string", ""),
            GoKind.Int => ("integer", "int64"),
            GoKind.Float => ("number", "float64"),
            GoKind.Array => ("array", ""),
            _ => ("object", ""),
        };
        var isFloatInt = schType == "number" && IsJsonInteger(GoValues.AsFloat(data!)) && s.Types.Contains("integer");
        var isIntFloat = schType == "integer" && s.Types.Contains("number");
        if (kind != GoKind.String && kind != GoKind.Array && s.Format.Length > 0
            && !(s.Types.Contains(schType) || format == s.Format || isFloatInt || isIntFloat))
        {
            return OpenApiResult.Of(InvalidType(path, s.Format, format));
        }
        if (!(s.Types.Contains("number") || s.Types.Contains("integer")) && s.Format.Length > 0 && kind is GoKind.String or GoKind.Array)
        {
            return result;
        }
        if (!(s.Types.Contains(schType) || isFloatInt || isIntFloat))
        {
            return OpenApiResult.Of(InvalidType(path, types, schType));
        }
        return result;
    }

    // basicCommonValidator: the value, converted to each enum value's Go type, must equal one of them.
    private static OpenApiResult? EnumCheck(OpenApiSchema s, JsonNode? data, string path)
    {
        if (s.Enum is not { Count: > 0 } values)
        {
            return null;
        }
        foreach (var value in values)
        {
            if (data is not null && value is not null && EqualsAfterConversion(data, value))
            {
                return null;
            }
        }
        var printed = "[" + string.Join(" ", values.Select(PrintV)) + "]";
        return OpenApiResult.Of(new OpenApiError(OpenApiErrorCode.Enum, path, data, 0, values,
            Fmt("{0} in {1} should be one of {2}", path, printed)));
    }

    private static bool EqualsAfterConversion(JsonNode data, JsonNode enumValue)
    {
        var dataKind = GoValues.KindOf(data);
        switch (GoValues.KindOf(enumValue))
        {
            case GoKind.String:
                var target = GoValues.AsString(enumValue);
                return dataKind switch
                {
                    GoKind.String => GoValues.AsString(data) == target,
                    // Go converts an integer to the string of that rune.
                    GoKind.Int => RuneString(GoValues.AsInt(data)) == target,
                    _ => false,
                };
            case GoKind.Int:
                return dataKind switch
                {
                    GoKind.Int => GoValues.AsInt(data) == GoValues.AsInt(enumValue),
                    GoKind.Float => TruncateToInt64(GoValues.AsFloat(data)) == GoValues.AsInt(enumValue),
                    _ => false,
                };
            case GoKind.Float:
                return dataKind is GoKind.Int or GoKind.Float && GoValues.AsNumber(data) == GoValues.AsFloat(enumValue);
            case GoKind.Bool:
                return dataKind == GoKind.Bool && GoValues.AsBool(data) == GoValues.AsBool(enumValue);
            default:
                return GoValues.DeepEqual(data, enumValue);
        }
    }

    private static string RuneString(long value) =>
        value is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF) ? char.ConvertFromUtf32((int)value) : "\uFFFD";

    private static long TruncateToInt64(double f) =>
        double.IsNaN(f) || f >= 9.2233720368547758E18 || f < -9.2233720368547758E18 ? long.MinValue : (long)Math.Truncate(f);

    // The %v printing of an enum value inside the (unused by CRs) EnumFail message.
    private static string PrintV(JsonNode? value) => GoValues.KindOf(value) switch
    {
        GoKind.String => GoValues.AsString(value!),
        GoKind.Nil => "<nil>",
        _ => GoValues.ErrorBodyValue(value),
    };

    // stringValidator: maxLength, minLength (in runes), pattern; the first failure only.
    private static OpenApiResult? StringCheck(OpenApiSchema s, string data, string path)
    {
        var runes = data.EnumerateRunes().Count();
        if (s.MaxLength is { } max && runes > max)
        {
            return OpenApiResult.Of(new OpenApiError(OpenApiErrorCode.TooLong, path, JsonValue.Create(data), max, null,
                Fmt("{0} in {1} should be at most {2} chars long", path, max.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.MinLength is { } min && runes < min)
        {
            return OpenApiResult.Of(new OpenApiError(OpenApiErrorCode.TooShort, path, JsonValue.Create(data), min, null,
                Fmt("{0} in {1} should be at least {2} chars long", path, min.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.Pattern.Length > 0)
        {
            if (!GoRegex.TryCompile(s.Pattern, out var regex, out var error))
            {
                return OpenApiResult.Of(FailedPattern(path, s.Pattern + ", but pattern is invalid: " + error, data));
            }
            if (!regex!.IsMatch(data))
            {
                return OpenApiResult.Of(FailedPattern(path, s.Pattern, data));
            }
        }
        return null;
    }

    private static OpenApiError FailedPattern(string path, string pattern, string data) =>
        new(OpenApiErrorCode.Pattern, path, JsonValue.Create(data), 0, null,
            Fmt("{0} in {1} should match '{2}'", path, pattern));

    // formatValidator.
    private static OpenApiResult? FormatCheck(OpenApiSchema s, string data, string path) =>
        OpenApiFormats.Validates(s.Format, data) ? null : OpenApiResult.Of(InvalidType(path, s.Format, data));

    // numberValidator: the range of the type and format, then multipleOf, maximum and minimum.
    private static OpenApiResult NumberCheck(OpenApiSchema s, JsonNode data, GoKind kind, string path)
    {
        var res = new OpenApiResult();
        var type = "";
        var format = "";
        if (s.Types.Count == 1)
        {
            switch (s.Types[0])
            {
                case "integer":
                    type = "integer";
                    format = s.Format is "int32" or "int64" ? s.Format : "";
                    break;
                case "number":
                    type = "number";
                    format = s.Format is "float" or "double" ? s.Format : "";
                    break;
            }
        }
        var asFloat = GoValues.AsNumber(data);
        var dataRep = kind == GoKind.Int ? GoValues.AsInt(data).ToString(CultureInfo.InvariantCulture) : GoValues.FormatFloatPlain(asFloat);
        res.Add(RangeError(dataRep, type, format, "Checked", path));

        var resMultiple = new OpenApiResult();
        var resMinimum = new OpenApiResult();
        var resMaximum = new OpenApiResult();
        if (s.MultipleOf is { } factor)
        {
            resMultiple.Add(RangeError(GoValues.FormatFloatPlain(factor), type, format, "MultipleOf", path));
            if (resMultiple.IsValid && kind == GoKind.Int)
            {
                var f = TruncateToInt64(factor);
                var v = GoValues.AsInt(data);
                if (f <= 0)
                {
                    resMultiple.Add(MultipleOfMustBePositive(path, f.ToString(CultureInfo.InvariantCulture)));
                }
                else if (v / f * f != v)
                {
                    resMultiple.Add(NotMultipleOf(path, f.ToString(CultureInfo.InvariantCulture), data));
                }
            }
            else
            {
                resMultiple.Add(MultipleOfFloat(path, asFloat, factor, data));
            }
        }
        if (s.Maximum is { } max)
        {
            resMaximum.Add(RangeError(GoValues.FormatFloatPlain(max), type, format, "Maximum boundary", path));
            if (resMaximum.IsValid && kind == GoKind.Int)
            {
                var m = TruncateToInt64(max);
                var v = GoValues.AsInt(data);
                if ((!s.ExclusiveMaximum && v > m) || (s.ExclusiveMaximum && v >= m))
                {
                    resMaximum.Add(Bound(OpenApiErrorCode.Max, path, m.ToString(CultureInfo.InvariantCulture), s.ExclusiveMaximum, data));
                }
            }
            else if ((!s.ExclusiveMaximum && asFloat > max) || (s.ExclusiveMaximum && asFloat >= max))
            {
                resMaximum.Add(Bound(OpenApiErrorCode.Max, path, GoValues.FormatFloatV(max), s.ExclusiveMaximum, data));
            }
        }
        if (s.Minimum is { } min)
        {
            resMinimum.Add(RangeError(GoValues.FormatFloatPlain(min), type, format, "Minimum boundary", path));
            if (resMinimum.IsValid && kind == GoKind.Int)
            {
                var m = TruncateToInt64(min);
                var v = GoValues.AsInt(data);
                if ((!s.ExclusiveMinimum && v < m) || (s.ExclusiveMinimum && v <= m))
                {
                    resMinimum.Add(Bound(OpenApiErrorCode.Min, path, m.ToString(CultureInfo.InvariantCulture), s.ExclusiveMinimum, data));
                }
            }
            else if ((!s.ExclusiveMinimum && asFloat < min) || (s.ExclusiveMinimum && asFloat <= min))
            {
                resMinimum.Add(Bound(OpenApiErrorCode.Min, path, GoValues.FormatFloatV(min), s.ExclusiveMinimum, data));
            }
        }
        res.Merge(resMultiple).Merge(resMinimum).Merge(resMaximum);
        res.Inc();
        return res;
    }

    // IsValueValidAgainstRange: whether the value (as Go prints it) parses as the type and format.
    private static OpenApiError? RangeError(string rep, string type, string format, string prefix, string path)
    {
        var ok = true;
        switch (type)
        {
            case "integer":
                ok = format == "int32"
                    ? int.TryParse(rep, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    : long.TryParse(rep, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
                break;
            default:
                if (format is "float" or "float32")
                {
                    ok = double.TryParse(rep, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d) <= float.MaxValue * 1.0000000000000002;
                }
                break;
        }
        if (ok)
        {
            return null;
        }
        var message = format.Length > 0
            ? $"{prefix} value must be of type {type} with format {format} in {path}"
            : $"{prefix} value must be of type {type} (default format) in {path}";
        return new OpenApiError(OpenApiErrorCode.Plain, "", null, 0, null, message);
    }

    private static OpenApiError? MultipleOfFloat(string path, double data, double factor, JsonNode value)
    {
        if (factor <= 0)
        {
            return MultipleOfMustBePositive(path, GoValues.FormatFloatV(factor));
        }
        var mult = factor < 1 ? 1 / factor * data : data / factor;
        return IsJsonInteger(mult) ? null : NotMultipleOf(path, GoValues.FormatFloatV(factor), value);
    }

    private static OpenApiError MultipleOfMustBePositive(string path, string factor) =>
        new(OpenApiErrorCode.MultipleOfMustBePositive, path, null, 0, null, $"factor MultipleOf declared for {path} must be positive: {factor}");

    private static OpenApiError NotMultipleOf(string path, string factor, JsonNode value) =>
        new(OpenApiErrorCode.MultipleOf, path, value, 0, null, Fmt("{0} in {1} should be a multiple of {2}", path, factor));

    private static OpenApiError Bound(OpenApiErrorCode code, string path, string bound, bool exclusive, JsonNode value)
    {
        var relation = (code, exclusive) switch
        {
            (OpenApiErrorCode.Max, false) => "less than or equal to",
            (OpenApiErrorCode.Max, true) => "less than",
            (_, false) => "greater than or equal to",
            _ => "greater than",
        };
        return new OpenApiError(code, path, value, 0, null,
            Fmt("{0} in {1} should be " + relation + " {2}", path, bound));
    }

    // swag.IsFloat64AJSONInteger.
    private static bool IsJsonInteger(double f)
    {
        const double maxJsonFloat = 9007199254740991;
        if (double.IsNaN(f) || double.IsInfinity(f) || f < -maxJsonFloat || f > maxJsonFloat)
        {
            return false;
        }
        if (f == Math.Truncate(f))
        {
            return true;
        }
        if (f < 0)
        {
            return false;
        }
        var g = Math.Floor(f);
        if (g == 0)
        {
            return false;
        }
        return (f - g) / Math.Min(f + g, double.MaxValue) < 1e-9;
    }

    // schemaSliceValidator: items, then minItems, maxItems, uniqueItems.
    private OpenApiResult SliceCheck(OpenApiSchema s, JsonArray data, string path, Correlation? correlation)
    {
        var result = new OpenApiResult();
        if (s.Items is { } items)
        {
            for (var i = 0; i < data.Count; i++)
            {
                var childPath = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                var childCorrelation = Index(correlation, s, data, i);
                result.Merge(childCorrelation is null ? ValidateNode(items, data[i], childPath, null) : Ratcheted(items, data[i], childPath, childCorrelation));
            }
        }
        var size = data.Count;
        if (s.MinItems is { } min && size < min)
        {
            result.Add(new OpenApiError(OpenApiErrorCode.MinItems, path, JsonValue.Create((long)size), min, null,
                Fmt("{0} in {1} should have at least {2} items", path, min.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.MaxItems is { } max && size > max)
        {
            result.Add(new OpenApiError(OpenApiErrorCode.MaxItems, path, JsonValue.Create((long)size), max, null,
                Fmt("{0} in {1} should have at most {2} items", path, max.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.UniqueItems)
        {
            for (var i = 1; i < size; i++)
            {
                if (Enumerable.Range(0, i).Any(j => GoValues.DeepEqual(data[i], data[j])))
                {
                    result.Add(new OpenApiError(OpenApiErrorCode.Unique, path, null, 0, null,
                        Fmt("{0} in {1} shouldn't contain duplicates", path, "")));
                    break;
                }
            }
        }
        result.Inc();
        return result;
    }

    // objectValidator: min/maxProperties, additionalProperties, properties, required.
    private OpenApiResult ObjectCheck(OpenApiSchema s, JsonObject data, string path, Correlation? correlation)
    {
        var res = new OpenApiResult();
        long numKeys = data.Count;
        if (s.MinProperties is { } min && numKeys < min)
        {
            res.Add(new OpenApiError(OpenApiErrorCode.TooFewProperties, path, JsonValue.Create(numKeys), min, null,
                Fmt("{0} in {1} should have at least {2} properties", path, min.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.MaxProperties is { } max && numKeys > max)
        {
            res.Add(new OpenApiError(OpenApiErrorCode.TooManyProperties, path, JsonValue.Create(numKeys), max, null,
                Fmt("{0} in {1} should have at most {2} properties", path, max.ToString(CultureInfo.InvariantCulture))));
        }
        if (s.HasAdditionalProperties && !s.AdditionalPropertiesAllowed)
        {
            foreach (var (key, _) in data)
            {
                if (!s.PropertyMap.ContainsKey(key))
                {
                    res.Add(new OpenApiError(OpenApiErrorCode.UnallowedProperty, path, JsonValue.Create(key), 0, null, $"{path}.{key} in {In} is a forbidden property"));
                }
            }
        }
        else if (s.AdditionalProperties is { } additional)
        {
            foreach (var (key, value) in data)
            {
                if (!s.PropertyMap.ContainsKey(key))
                {
                    res.Merge(Child(additional, value, path + "." + key, Key(correlation, path, key)));
                }
            }
        }
        foreach (var (name, property) in s.Properties)
        {
            if (data.TryGetPropertyValue(name, out var value))
            {
                res.Merge(Child(property, value, path.Length == 0 ? name : path + "." + name, Key(correlation, path, name)));
            }
        }
        foreach (var required in s.Required)
        {
            if (!data.ContainsKey(required))
            {
                var name = path + "." + required;
                res.Add(new OpenApiError(OpenApiErrorCode.Required, name, null, 0, null, $"{name} in {In} is required"));
            }
        }
        return res;
    }

    private OpenApiResult Child(OpenApiSchema schema, JsonNode? value, string path, Correlation? correlation) =>
        correlation is null ? ValidateNode(schema, value, path, null) : Ratcheted(schema, value, path, correlation);

    // schemaPropsValidator: anyOf, oneOf, allOf, not, each against the same value and path.
    private OpenApiResult SchemaProps(OpenApiSchema s, JsonNode? data, string path, Correlation? correlation)
    {
        var main = new OpenApiResult();
        if (s.AnyOf.Count > 0)
        {
            OpenApiResult? bestFailures = null;
            OpenApiResult? firstSuccess = null;
            var succeeded = false;
            foreach (var alternative in s.AnyOf)
            {
                var result = ValidateNode(alternative, data, path, correlation);
                if (result.IsValid)
                {
                    bestFailures = null;
                    succeeded = true;
                    firstSuccess ??= result;
                    break;
                }
                if (bestFailures is null || result.MatchCount > bestFailures.MatchCount)
                {
                    bestFailures = result;
                }
            }
            if (!succeeded)
            {
                main.Add(Plain(GoFormat.Quote(path) + " must validate at least one schema (anyOf)"));
            }
            main.Merge(bestFailures ?? firstSuccess);
        }
        if (s.OneOf.Count > 0)
        {
            OpenApiResult? bestFailures = null;
            OpenApiResult? firstSuccess = null;
            var validated = 0;
            foreach (var alternative in s.OneOf)
            {
                var result = ValidateNode(alternative, data, path, correlation);
                if (result.IsValid)
                {
                    validated++;
                    bestFailures = null;
                    firstSuccess ??= result;
                    continue;
                }
                if (validated == 0 && (bestFailures is null || result.MatchCount > bestFailures.MatchCount))
                {
                    bestFailures = result;
                }
            }
            if (validated != 1)
            {
                var additional = validated == 0 ? "Found none valid" : $"Found {validated} valid alternatives";
                main.Add(Plain(GoFormat.Quote(path) + " must validate one and only one schema (oneOf). " + additional));
                main.Merge(bestFailures);
            }
            else
            {
                main.Merge(firstSuccess);
            }
        }
        if (s.AllOf.Count > 0)
        {
            var validated = 0;
            foreach (var part in s.AllOf)
            {
                var result = ValidateNode(part, data, path, correlation);
                if (result.IsValid)
                {
                    validated++;
                }
                main.Merge(result);
            }
            if (validated != s.AllOf.Count)
            {
                main.Add(Plain(GoFormat.Quote(path) + " must validate all the schemas (allOf)" + (validated == 0 ? ". None validated" : "")));
            }
        }
        if (s.Not is { } not && ValidateNode(not, data, path, correlation).IsValid)
        {
            main.Add(Plain(GoFormat.Quote(path) + " must not validate the schema (not)"));
        }
        main.Inc();
        return main;
    }

    private static OpenApiError Plain(string message) => new(OpenApiErrorCode.Plain, "", null, 0, null, message);

    // errors.InvalidType with a string value: "<path> in body must be of type <type>: <quoted value>".
    private static OpenApiError InvalidType(string path, string typeName, string value) =>
        new(OpenApiErrorCode.InvalidType, path, JsonValue.Create(value), 0, null,
            Fmt("{0} in {1} must be of type {2}: ", path, typeName) + GoFormat.Quote(value));

    // kube-openapi's messages in their "in body" form ({0} the path, {1} "body", {2} the argument): In is always set here.
    private static string Fmt(string template, string path, string arg)
    {
        var sb = new StringBuilder(template.Length + path.Length + arg.Length);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && i + 2 < template.Length && template[i + 2] == '}')
            {
                sb.Append(template[i + 1] switch { '0' => path, '1' => In, _ => arg });
                i += 2;
                continue;
            }
            sb.Append(template[i]);
        }
        return sb.ToString();
    }
}
