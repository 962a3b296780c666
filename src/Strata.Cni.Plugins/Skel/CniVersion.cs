namespace Strata.Cni.Plugins.Skel;

/// <summary>Spec versions: what these plugins accept, and how versions compare.</summary>
public static class CniVersion
{
    public const string Current = "1.1.0";

    /// <summary>0.1.0 and 0.2.0 used another result shape; these plugins speak 0.3.0 onwards.</summary>
    public static readonly IReadOnlyList<string> Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static bool IsSupported(string version) => Supported.Contains(version);

    /// <summary>Compares dotted versions numerically; a missing or malformed version is a decode failure, as in libcni.</summary>
    public static int Compare(string a, string b) => Parse(a).CompareTo(Parse(b));

    public static bool AtLeast(string version, string minimum) => Compare(version, minimum) >= 0;

    private static Version Parse(string text) =>
        Version.TryParse(text, out var version) && text.Count(c => c == '.') == 2
            ? version
            : throw new CniException(CniErrorCode.DecodingFailure, $"invalid version \"{text}\": the Major.Minor.Patch fields must be numeric");
}
