using System.Globalization;

namespace Strata.Cni;

/// <summary>Spec version strings, compared as libcni's pkg/version does. Pure.</summary>
public static class CniVersion
{
    /// <summary>The spec version this runtime implements (libcni version.Current).</summary>
    public const string Current = "1.1.0";

    /// <summary>Every spec version a configuration may name, oldest first.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static bool IsSupported(string version) => Supported.Contains(version);

    /// <summary>
    /// Major, minor and micro of a version such as <c>0.4.0</c>; an empty string is 0.1.0, missing parts
    /// are 0 and more than three parts is an error (libcni ParseVersion).
    /// </summary>
    public static (int Major, int Minor, int Micro) Parse(string version)
    {
        if (version.Length == 0)
        {
            return (0, 1, 0);
        }

        string[] parts = version.Split('.');
        if (parts.Length >= 4)
        {
            throw new FormatException($"invalid version \"{version}\": too many parts");
        }

        int Part(int index, string what) =>
            index >= parts.Length ? 0
            : int.TryParse(parts[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value
            : throw new FormatException($"failed to convert {what} version part \"{parts[index]}\"");

        return (Part(0, "major"), Part(1, "minor"), Part(2, "micro"));
    }

    public static bool AtLeast(string version, string minimum) => Parse(version).CompareTo(Parse(minimum)) >= 0;

    public static bool GreaterThan(string version, string other) => Parse(version).CompareTo(Parse(other)) > 0;
}
