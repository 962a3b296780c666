using System.Globalization;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Validation;

/// <summary>
/// The offending value of a <see cref="FieldError"/>, already rendered the way <c>field.Error.ErrorBody()</c>
/// prints it: Go strings with <c>%q</c>, integers and booleans plainly, anything else through
/// <c>encoding/json</c> (which is also how named string types such as <c>core.Protocol</c> print).
/// </summary>
public readonly record struct BadValue
{
    private BadValue(string rendered) => Rendered = rendered;

    public string Rendered { get; }

    public static implicit operator BadValue(string value) => new(GoFormat.Quote(value));

    public static implicit operator BadValue(long value) => new(value.ToString(CultureInfo.InvariantCulture));

    public static implicit operator BadValue(int value) => new(value.ToString(CultureInfo.InvariantCulture));

    public static implicit operator BadValue(bool value) => new(value ? "true" : "false");

    /// <summary>A value Go would marshal as JSON: named string types, pointers, structs, maps, slices.</summary>
    public static BadValue Json(JsonNode? value) => new(GoFormat.Marshal(value));

    /// <summary>A named string type (<c>core.Protocol</c>, <c>core.ServiceType</c>, ...): JSON-encoded, not <c>%q</c>.</summary>
    public static BadValue Named(string value) => new(GoFormat.MarshalString(value));

    public static BadValue FromString(string value) => value;

    public static BadValue FromInt64(long value) => value;

    public static BadValue FromInt32(int value) => value;

    public static BadValue FromBoolean(bool value) => value;
}
