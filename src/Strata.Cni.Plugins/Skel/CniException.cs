namespace Strata.Cni.Plugins.Skel;

/// <summary>The spec's well-known error codes (SPEC.md, "Error"; pkg/types/types.go).</summary>
public static class CniErrorCode
{
    public const uint IncompatibleCniVersion = 1;
    public const uint UnsupportedField = 2;
    public const uint UnknownContainer = 3;
    public const uint InvalidEnvironmentVariables = 4;
    public const uint IoFailure = 5;
    public const uint DecodingFailure = 6;
    public const uint InvalidNetworkConfig = 7;
    public const uint InvalidNetNs = 8;
    public const uint TryAgainLater = 11;
    public const uint Internal = 999;
}

/// <summary>A failure reported to the runtime as the spec's error JSON on stdout, with exit code 1.</summary>
public sealed class CniException : Exception
{
    public CniException(uint code, string message, string details = "")
        : base(message)
    {
        Code = code;
        Details = details;
    }

    public uint Code { get; }

    public string Details { get; }
}
