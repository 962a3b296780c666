namespace Strata.ApiServer.Validation;

/// <summary>
/// One invalid field, as apimachinery's <c>field.Error</c> (pkg/util/validation/field/errors.go).
/// <paramref name="Reason"/> is the StatusCause reason (<c>FieldValueInvalid</c>, <c>FieldValueRequired</c>, ...),
/// <paramref name="Body"/> is <c>ErrorBody()</c> (for example <c>Invalid value: 80: provided port is not in the valid range</c>).
/// </summary>
public sealed record FieldError(string Reason, string Field, string Body)
{
    /// <summary><c>field.Error.Error()</c>: the field path, a colon, then the body.</summary>
    public override string ToString() => $"{Field}: {Body}";
}
