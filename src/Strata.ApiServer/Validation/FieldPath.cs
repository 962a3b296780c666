namespace Strata.ApiServer.Validation;

/// <summary>
/// A field path rendered as apimachinery's <c>field.Path.String()</c> does
/// (pkg/util/validation/field/path.go): children joined by dots, indexes and keys in brackets,
/// keys unquoted, and an empty root name rendered as <c>[]</c>.
/// </summary>
public sealed class FieldPath
{
    private readonly string _text;

    private FieldPath(string text) => _text = text;

    public static FieldPath Root(string name) => new(name.Length > 0 ? name : "[]");

    public FieldPath Child(string name) => new(name.Length > 0 ? _text + "." + name : _text + "[]");

    public FieldPath Child(string name, params string[] more)
    {
        var path = Child(name);
        foreach (var next in more)
        {
            path = path.Child(next);
        }
        return path;
    }

    public FieldPath Index(int index) => new(_text + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");

    public FieldPath Key(string key) => new(_text + "[" + key + "]");

    public override string ToString() => _text;
}
