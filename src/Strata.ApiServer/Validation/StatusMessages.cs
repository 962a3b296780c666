namespace Strata.ApiServer.Validation;

/// <summary>
/// The Status message of apimachinery's <c>errors.NewInvalid</c> (pkg/api/errors/errors.go):
/// <c>Kind "name" is invalid: &lt;aggregate&gt;</c>, where the aggregate (pkg/util/errors) drops repeated
/// messages, prints a single error bare and several as <c>[a, b]</c>. kubectl prints "The " in front itself.
/// </summary>
public static class StatusMessages
{
    /// <summary><paramref name="kind"/> is the qualified kind as <c>GroupKind.String()</c> prints it: <c>Service</c>, <c>Ingress.networking.k8s.io</c>.</summary>
    public static string Invalid(string kind, string name, IReadOnlyList<FieldError> errors)
    {
        var messages = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            var message = error.ToString();
            if (seen.Add(message))
            {
                messages.Add(message);
            }
        }
        var head = kind + " " + GoFormat.Quote(name) + " is invalid";
        return messages.Count switch
        {
            0 => head,
            1 => head + ": " + messages[0],
            _ => head + ": [" + string.Join(", ", messages) + "]",
        };
    }

    /// <summary>As <see cref="Invalid(string, string, IReadOnlyList{FieldError})"/> with the kind qualified by its group.</summary>
    public static string Invalid(string group, string kind, string name, IReadOnlyList<FieldError> errors) =>
        Invalid(group.Length == 0 ? kind : kind + "." + group, name, errors);
}
