using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Strata.ApiServer.Validation;

/// <summary>
/// The string checks of k8s.io/apimachinery/pkg/util/validation/validation.go and
/// pkg/api/validate/content (v0.36): each returns the list of messages, empty when the value is valid.
/// Lengths are counted in bytes, as Go's <c>len</c> does.
/// </summary>
public static class NameRules
{
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
    private const string WildcardDns1123SubdomainFmt = "\\*\\." + Dns1123SubdomainFmt;
    private const string WildcardDns1123SubdomainErrMsg = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
    private const string LabelKeyCharFmt = "[A-Za-z0-9]";
    private const string LabelKeyExtCharFmt = "[-A-Za-z0-9_.]";
    private const string LabelKeyFmt = "(" + LabelKeyCharFmt + LabelKeyExtCharFmt + "*)?" + LabelKeyCharFmt;
    private const string LabelKeyErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + LabelKeyFmt + ")?";
    private const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";
    private const string ConfigMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
    private const string PercentFmt = "[0-9]+%";
    private const string PercentErrMsg = "a valid percent string must be a numeric string followed by an ending '%'";
    private const string HttpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
    private const string HttpHeaderNameFmt = "[-A-Za-z0-9]+";
    private const string HttpHeaderNameErrMsg = "a valid HTTP header must consist of alphanumeric characters or '-'";

    public const int Dns1123LabelMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;
    public const int Dns1035LabelMaxLength = 63;
    public const int LabelValueMaxLength = 63;
    private const int LabelKeyNameMaxLength = 63;

    private static readonly Regex s_dns1123Label = Anchored(Dns1123LabelFmt);
    private static readonly Regex s_dns1123Subdomain = Anchored(Dns1123SubdomainFmt);
    private static readonly Regex s_dns1035Label = Anchored(Dns1035LabelFmt);
    private static readonly Regex s_wildcardDns1123Subdomain = Anchored(WildcardDns1123SubdomainFmt);
    private static readonly Regex s_labelKey = Anchored(LabelKeyFmt);
    private static readonly Regex s_labelValue = Anchored(LabelValueFmt);
    private static readonly Regex s_configMapKey = Anchored(ConfigMapKeyFmt);
    private static readonly Regex s_percent = Anchored(PercentFmt);
    private static readonly Regex s_httpPath = Anchored(HttpPathFmt);
    private static readonly Regex s_httpHeaderName = Anchored(HttpHeaderNameFmt);
    private static readonly Regex s_portNameCharset = Anchored("[-a-z0-9]+");
    private static readonly Regex s_portNameOneLetter = new("[a-z]", RegexOptions.CultureInvariant);

    // Go's "$" only matches at the very end; .NET's also matches before a final newline, hence \z.
    private static Regex Anchored(string fmt) => new("^(?:" + fmt + ")\\z", RegexOptions.CultureInvariant);

    private static int ByteLength(string value) => Encoding.UTF8.GetByteCount(value);

    /// <summary>util/validation.MaxLenError ("characters").</summary>
    public static string MaxLenError(int length) => string.Create(CultureInfo.InvariantCulture, $"must be no more than {length} characters");

    /// <summary>api/validate/content.MaxLenError ("bytes"), used by the label key and value checks.</summary>
    public static string MaxLenBytesError(int length) => string.Create(CultureInfo.InvariantCulture, $"must be no more than {length} bytes");

    public static string EmptyError() => "must be non-empty";

    public static string InclusiveRangeError(long lo, long hi) => string.Create(CultureInfo.InvariantCulture, $"must be between {lo} and {hi}, inclusive");

    public static string RegexError(string msg, string fmt, params string[] examples)
    {
        if (examples.Length == 0)
        {
            return msg + " (regex used for validation is '" + fmt + "')";
        }
        var sb = new StringBuilder(msg).Append(" (e.g. ");
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(" or ");
            }
            sb.Append('\'').Append(examples[i]).Append("', ");
        }
        return sb.Append("regex used for validation is '").Append(fmt).Append("')").ToString();
    }

    public static List<string> IsDns1123Label(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > Dns1123LabelMaxLength)
        {
            errs.Add(MaxLenError(Dns1123LabelMaxLength));
        }
        if (!s_dns1123Label.IsMatch(value))
        {
            errs.Add(s_dns1123Subdomain.IsMatch(value)
                ? "must not contain dots"
                : RegexError(Dns1123LabelErrMsg, Dns1123LabelFmt, "my-name", "123-abc"));
        }
        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value) => IsDns1123Subdomain(value, MaxLenError);

    private static List<string> IsDns1123Subdomain(string value, Func<int, string> maxLenError)
    {
        var errs = new List<string>();
        if (ByteLength(value) > Dns1123SubdomainMaxLength)
        {
            errs.Add(maxLenError(Dns1123SubdomainMaxLength));
        }
        if (!s_dns1123Subdomain.IsMatch(value))
        {
            errs.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        }
        return errs;
    }

    public static List<string> IsDns1035Label(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > Dns1035LabelMaxLength)
        {
            errs.Add(MaxLenError(Dns1035LabelMaxLength));
        }
        if (!s_dns1035Label.IsMatch(value))
        {
            errs.Add(RegexError(Dns1035LabelErrMsg, Dns1035LabelFmt, "my-name", "abc-123"));
        }
        return errs;
    }

    public static List<string> IsWildcardDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > Dns1123SubdomainMaxLength)
        {
            errs.Add(MaxLenError(Dns1123SubdomainMaxLength));
        }
        if (!s_wildcardDns1123Subdomain.IsMatch(value))
        {
            errs.Add(RegexError(WildcardDns1123SubdomainErrMsg, WildcardDns1123SubdomainFmt, "*.example.com"));
        }
        return errs;
    }

    /// <summary>IsQualifiedName / content.IsLabelKey: an optional DNS subdomain prefix, a slash, and a name.</summary>
    public static List<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                {
                    errs.Add("prefix part " + EmptyError());
                }
                else
                {
                    errs.AddRange(IsDns1123Subdomain(prefix, MaxLenBytesError).Select(m => "prefix part " + m));
                }
                break;
            default:
                errs.Add("a valid label key " + RegexError(LabelKeyErrMsg, LabelKeyFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0)
        {
            errs.Add("name part " + EmptyError());
        }
        else if (ByteLength(name) > LabelKeyNameMaxLength)
        {
            errs.Add("name part " + MaxLenBytesError(LabelKeyNameMaxLength));
        }
        if (!s_labelKey.IsMatch(name))
        {
            errs.Add("name part " + RegexError(LabelKeyErrMsg, LabelKeyFmt, "MyName", "my.name", "123-abc"));
        }
        return errs;
    }

    public static List<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > LabelValueMaxLength)
        {
            errs.Add(MaxLenBytesError(LabelValueMaxLength));
        }
        if (!s_labelValue.IsMatch(value))
        {
            errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        }
        return errs;
    }

    public static List<string> IsValidPortNum(long port) =>
        port is >= 1 and <= 65535 ? [] : [InclusiveRangeError(1, 65535)];

    /// <summary>IsValidPortName: an IANA_SVC_NAME (RFC 6335), lower case only.</summary>
    public static List<string> IsValidPortName(string port)
    {
        var errs = new List<string>();
        if (ByteLength(port) > 15)
        {
            errs.Add(MaxLenError(15));
        }
        if (!s_portNameCharset.IsMatch(port))
        {
            errs.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!s_portNameOneLetter.IsMatch(port))
        {
            errs.Add("must contain at least one letter (a-z)");
        }
        if (port.Contains("--", StringComparison.Ordinal))
        {
            errs.Add("must not contain consecutive hyphens");
        }
        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errs.Add("must not begin or end with a hyphen");
        }
        return errs;
    }

    public static List<string> IsConfigMapKey(string value)
    {
        var errs = new List<string>();
        if (ByteLength(value) > Dns1123SubdomainMaxLength)
        {
            errs.Add(MaxLenError(Dns1123SubdomainMaxLength));
        }
        if (!s_configMapKey.IsMatch(value))
        {
            errs.Add(RegexError(ConfigMapKeyErrMsg, ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        }
        errs.AddRange(HasChDirPrefix(value));
        return errs;
    }

    public static List<string> IsValidPercent(string value) =>
        s_percent.IsMatch(value) ? [] : [RegexError(PercentErrMsg, PercentFmt, "1%", "93%")];

    public static List<string> IsHttpHeaderName(string value) =>
        s_httpHeaderName.IsMatch(value) ? [] : [RegexError(HttpHeaderNameErrMsg, HttpHeaderNameFmt, "X-Header-Name")];

    /// <summary>IsRelaxedEnvVarName (the RelaxedEnvironmentVariableValidation behaviour, on by default).</summary>
    public static List<string> IsRelaxedEnvVarName(string value)
    {
        var errs = new List<string>();
        if (value.Length == 0)
        {
            errs.Add("environment variable name " + EmptyError());
        }
        foreach (var c in value)
        {
            if (c > 0x7f || c < 0x20 || c == 0x7f || c == '=')
            {
                errs.Add("a valid environment variable name must consist only of printable ASCII characters other than '='");
                break;
            }
        }
        return errs;
    }

    /// <summary>content.IsPathSegmentName: names that can appear as one segment of a URL path.</summary>
    public static List<string> IsPathSegmentName(string name)
    {
        if (name is "." or "..")
        {
            return [$"may not be '{name}'"];
        }
        var errs = new List<string>();
        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                errs.Add($"may not contain '{illegal}'");
            }
        }
        return errs;
    }

    /// <summary>IsDomainPrefixedPath, as IngressClass controllers use it.</summary>
    public static List<FieldError> IsDomainPrefixedPath(FieldPath fldPath, string dpPath)
    {
        if (dpPath.Length == 0)
        {
            return [FieldErrors.Required(fldPath, "")];
        }
        var slash = dpPath.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == dpPath.Length - 1)
        {
            return [FieldErrors.Invalid(fldPath, dpPath, "must be a domain-prefixed path (such as \"acme.io/foo\")")];
        }
        var host = dpPath[..slash];
        var errs = IsDns1123Subdomain(host).Select(m => FieldErrors.Invalid(fldPath, host, m)).ToList();
        var path = dpPath[(slash + 1)..];
        if (!s_httpPath.IsMatch(path))
        {
            errs.Add(FieldErrors.Invalid(fldPath, path, RegexError("Invalid path", HttpPathFmt)));
        }
        return errs;
    }

    /// <summary>IsFullyQualifiedDomainName, as EndpointSlice FQDN addresses use it.</summary>
    public static List<FieldError> IsFullyQualifiedDomainName(FieldPath fldPath, string name)
    {
        if (name.Length == 0)
        {
            return [FieldErrors.Required(fldPath, "")];
        }
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }
        if (IsDns1123Subdomain(name) is { Count: > 0 } errs)
        {
            return [FieldErrors.Invalid(fldPath, name, string.Join(",", errs))];
        }
        var labels = name.Split('.');
        if (labels.Length < 2)
        {
            return [FieldErrors.Invalid(fldPath, name, "should be a domain with at least two segments separated by dots")];
        }
        foreach (var label in labels)
        {
            if (IsDns1123Label(label) is { Count: > 0 } labelErrs)
            {
                return [FieldErrors.Invalid(fldPath, label, string.Join(",", labelErrs))];
            }
        }
        return [];
    }

    private static IEnumerable<string> HasChDirPrefix(string value)
    {
        if (value == ".")
        {
            yield return "must not be '.'";
        }
        else if (value == "..")
        {
            yield return "must not be '..'";
        }
        else if (value.StartsWith("..", StringComparison.Ordinal))
        {
            yield return "must not start with '..'";
        }
    }

    /// <summary>apimachinery NameIsDNSSubdomain / NameIsDNSLabel / NameIsDNS1035Label with generateName's trailing-dash masking.</summary>
    public static List<string> NameIsDnsSubdomain(string name, bool prefix) => IsDns1123Subdomain(prefix ? MaskTrailingDash(name) : name);

    public static List<string> NameIsDnsLabel(string name, bool prefix) => IsDns1123Label(prefix ? MaskTrailingDash(name) : name);

    public static List<string> NameIsDns1035Label(string name, bool prefix) => IsDns1035Label(prefix ? MaskTrailingDash(name) : name);

    // Mirrors apimachinery's maskTrailingDash, which replaces the last two characters.
    private static string MaskTrailingDash(string name) =>
        name.Length > 1 && name.EndsWith('-') ? name[..^2] + "a" : name;
}
