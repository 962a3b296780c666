using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Strata.Ingress.Routing;

namespace Strata.Ingress.Configuration;

/// <summary>The canary annotations of one Ingress (ingress-nginx internal/ingress/annotations/canary).</summary>
public sealed record CanarySettings(bool Enabled, string? Header, string? HeaderValue, int Weight, int WeightTotal);

/// <summary>
/// ingress-nginx's annotations (prefix <c>nginx.ingress.kubernetes.io/</c>) that Strata implements, parsed and validated
/// as upstream does (internal/ingress/annotations/*, parser/validators.go): a value the validator refuses rejects the
/// Ingress with a message naming the annotation; an absent annotation takes the controller's default.
/// </summary>
public static partial class IngressAnnotations
{
    public const string Prefix = "nginx.ingress.kubernetes.io/";
    public const string RewriteTarget = Prefix + "rewrite-target";
    public const string UseRegex = Prefix + "use-regex";
    public const string AppRoot = Prefix + "app-root";
    public const string ProxyBodySize = Prefix + "proxy-body-size";
    public const string SslRedirect = Prefix + "ssl-redirect";
    public const string ForceSslRedirect = Prefix + "force-ssl-redirect";
    public const string BackendProtocolName = Prefix + "backend-protocol";
    public const string ProxyConnectTimeout = Prefix + "proxy-connect-timeout";
    public const string ProxyReadTimeout = Prefix + "proxy-read-timeout";
    public const string WhitelistSourceRange = Prefix + "whitelist-source-range";
    public const string AllowlistSourceRange = Prefix + "allowlist-source-range";
    public const string Canary = Prefix + "canary";
    public const string CanaryByHeader = Prefix + "canary-by-header";
    public const string CanaryByHeaderValue = Prefix + "canary-by-header-value";
    public const string CanaryWeight = Prefix + "canary-weight";
    public const string CanaryWeightTotal = Prefix + "canary-weight-total";

    /// <summary>The location settings of an Ingress; throws <see cref="AnnotationException"/> for an invalid value.</summary>
    public static LocationSettings ParseLocation(IDictionary<string, string>? annotations)
    {
        var a = annotations ?? new Dictionary<string, string>();
        var defaults = LocationSettings.Default;
        var rewrite = Get(a, RewriteTarget);
        if (rewrite is not null && !RegexPathWithCapture().IsMatch(rewrite))
        {
            throw new AnnotationException(RewriteTarget, rewrite, "only a path with capture references like /$1 is allowed");
        }

        var appRoot = Get(a, AppRoot);
        if (appRoot is not null && (!appRoot.StartsWith('/') || Uri.TryCreate(appRoot, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
        {
            throw new AnnotationException(AppRoot, appRoot, "only an absolute path like /app is allowed");
        }

        return new LocationSettings
        {
            RewriteTarget = rewrite,
            AppRoot = appRoot,
            MaxBodySize = Get(a, ProxyBodySize) is { } size ? ParseSize(size) : defaults.MaxBodySize,
            SslRedirect = GetBool(a, SslRedirect) ?? defaults.SslRedirect,
            ForceSslRedirect = GetBool(a, ForceSslRedirect) ?? defaults.ForceSslRedirect,
            Protocol = Get(a, BackendProtocolName) is { } protocol ? ParseProtocol(protocol) : defaults.Protocol,
            ConnectTimeout = GetSeconds(a, ProxyConnectTimeout) ?? defaults.ConnectTimeout,
            ReadTimeout = GetSeconds(a, ProxyReadTimeout) ?? defaults.ReadTimeout,
            Allowlist = ParseAllowlist(a),
        };
    }

    /// <summary>use-regex (or a rewrite-target, which ingress-nginx treats the same) puts the Ingress's hosts in regex mode.</summary>
    public static bool WantsRegex(IDictionary<string, string>? annotations) =>
        annotations is not null && ((GetBool(annotations, UseRegex) ?? false) || Get(annotations, RewriteTarget) is not null);

    public static CanarySettings ParseCanary(IDictionary<string, string>? annotations)
    {
        var a = annotations ?? new Dictionary<string, string>();
        var enabled = GetBool(a, Canary) ?? false;
        var header = Get(a, CanaryByHeader);
        if (header is not null && !BasicChars().IsMatch(header.Replace(" ", "", StringComparison.Ordinal)))
        {
            throw new AnnotationException(CanaryByHeader, header, "only letters, digits and -._~/: are allowed");
        }

        var total = GetInt(a, CanaryWeightTotal) ?? 100;
        var weight = GetInt(a, CanaryWeight) ?? 0;
        return new CanarySettings(enabled, header, Get(a, CanaryByHeaderValue), weight, total);
    }

    /// <summary>An nginx size (<c>1000</c>, <c>8k</c>, <c>1m</c>, <c>1g</c>); "0" turns the limit off (null).</summary>
    public static long? ParseSize(string value)
    {
        var match = SizeRegex().Match(value.Trim());
        if (!match.Success)
        {
            throw new AnnotationException(ProxyBodySize, value, "expected a size like 1000, 8k, 1m or 1g");
        }

        var number = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var bytes = char.ToLowerInvariant(match.Groups[2].Value.FirstOrDefault('b')) switch
        {
            'k' => number * 1024,
            'm' => number * 1024 * 1024,
            'g' => number * 1024 * 1024 * 1024,
            _ => number,
        };
        return bytes == 0 ? null : bytes;
    }

    private static BackendProtocol ParseProtocol(string value) => value.Trim().ToUpperInvariant() switch
    {
        "HTTP" => BackendProtocol.Http,
        "HTTPS" => BackendProtocol.Https,
        "GRPC" => BackendProtocol.Grpc,
        "GRPCS" => BackendProtocol.Grpcs,
        _ => throw new AnnotationException(BackendProtocolName, value, "expected one of HTTP, HTTPS, GRPC, GRPCS"),
    };

    private static List<IPNetwork>? ParseAllowlist(IDictionary<string, string> a)
    {
        // allowlist-source-range is the current name; whitelist-source-range its alias (ingress-nginx ipallowlist).
        var name = Get(a, AllowlistSourceRange) is not null ? AllowlistSourceRange : WhitelistSourceRange;
        var value = Get(a, name);
        if (value is null)
        {
            return null;
        }

        var networks = new List<IPNetwork>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(part, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(part, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new AnnotationException(name, value, $"\"{part}\" is not an IP address or CIDR");
            }
        }

        return networks;
    }

    private static string? Get(IDictionary<string, string> a, string name) =>
        a.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private static bool? GetBool(IDictionary<string, string> a, string name) => Get(a, name) switch
    {
        null => null,
        // Go's strconv.ParseBool.
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        var other => throw new AnnotationException(name, other, "expected true or false"),
    };

    private static int? GetInt(IDictionary<string, string> a, string name)
    {
        var value = Get(a, name);
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new AnnotationException(name, value, "expected a non-negative integer");
    }

    private static TimeSpan? GetSeconds(IDictionary<string, string> a, string name) =>
        GetInt(a, name) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    // parser.SizeRegex: ^(?i)\d+[bkmg]?$
    [GeneratedRegex(@"^(\d+)([bkmgBKMG]?)$")]
    private static partial Regex SizeRegex();

    // parser.RegexPathWithCapture: ^/?[alphanumeric -._~/: and $]*$
    [GeneratedRegex(@"^/?[\-\._~a-zA-Z0-9/:\$]*$")]
    private static partial Regex RegexPathWithCapture();

    // parser.BasicCharsRegex.
    [GeneratedRegex(@"^[/\-\._~a-zA-Z0-9:]*$")]
    private static partial Regex BasicChars();
}
