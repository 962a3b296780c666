using System.Globalization;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Factories mirroring apimachinery's <c>field.Invalid</c>, <c>field.Required</c>, ... with the body
/// (<c>ErrorBody()</c>) formatted as pkg/util/validation/field/errors.go does.
/// </summary>
public static class FieldErrors
{
    public const string ReasonInvalid = "FieldValueInvalid";
    public const string ReasonRequired = "FieldValueRequired";
    public const string ReasonDuplicate = "FieldValueDuplicate";
    public const string ReasonNotSupported = "FieldValueNotSupported";
    public const string ReasonForbidden = "FieldValueForbidden";
    public const string ReasonTooLong = "FieldValueTooLong";
    public const string ReasonTooMany = "FieldValueTooMany";
    public const string ReasonNotFound = "FieldValueNotFound";
    public const string ReasonInternal = "InternalError";

    public static FieldError Invalid(FieldPath field, BadValue value, string detail) =>
        new(ReasonInvalid, field.ToString(), WithDetail("Invalid value: " + value.Rendered, detail));

    public static FieldError Required(FieldPath field, string detail) =>
        new(ReasonRequired, field.ToString(), WithDetail("Required value", detail));

    public static FieldError Duplicate(FieldPath field, BadValue value) =>
        new(ReasonDuplicate, field.ToString(), "Duplicate value: " + value.Rendered);

    /// <summary>As <c>field.Duplicate</c> followed by setting <c>Detail</c>, which a few callers do.</summary>
    public static FieldError Duplicate(FieldPath field, BadValue value, string detail) =>
        new(ReasonDuplicate, field.ToString(), WithDetail("Duplicate value: " + value.Rendered, detail));

    public static FieldError NotFound(FieldPath field, BadValue value) =>
        new(ReasonNotFound, field.ToString(), "Not found: " + value.Rendered);

    /// <summary><c>field.NotSupported</c>: the valid values are quoted with <c>strconv.Quote</c> and joined by <c>", "</c>.</summary>
    public static FieldError NotSupported(FieldPath field, BadValue value, IEnumerable<string> validValues)
    {
        var quoted = validValues.Select(GoFormat.Quote).ToList();
        var detail = quoted.Count > 0 ? "supported values: " + string.Join(", ", quoted) : "";
        return new(ReasonNotSupported, field.ToString(), WithDetail("Unsupported value: " + value.Rendered, detail));
    }

    public static FieldError Forbidden(FieldPath field, string detail) =>
        new(ReasonForbidden, field.ToString(), WithDetail("Forbidden", detail));

    /// <summary><c>field.TooLong</c>: the value itself is never printed.</summary>
    public static FieldError TooLong(FieldPath field, int maxLength)
    {
        var detail = maxLength >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"may not be more than {maxLength} {(maxLength == 1 ? "byte" : "bytes")}")
            : "value is too long";
        return new(ReasonTooLong, field.ToString(), WithDetail("Too long", detail));
    }

    public static FieldError TooMany(FieldPath field, int actualQuantity, int maxQuantity)
    {
        var detail = maxQuantity >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"must have at most {maxQuantity} {(maxQuantity == 1 ? "item" : "items")}")
            : "has too many items";
        var head = actualQuantity >= 0
            ? "Too many: " + actualQuantity.ToString(CultureInfo.InvariantCulture)
            : "Too many";
        return new(ReasonTooMany, field.ToString(), WithDetail(head, detail));
    }

    public static FieldError Internal(FieldPath field, string message) =>
        new(ReasonInternal, field.ToString(), WithDetail("Internal error", message));

    private static string WithDetail(string head, string detail) => detail.Length == 0 ? head : head + ": " + detail;
}
