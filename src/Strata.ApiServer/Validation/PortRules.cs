namespace Strata.ApiServer.Validation;

/// <summary>The protocol check every port list shares (core validation's supportedPortProtocols).</summary>
internal static class PortRules
{
    public static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    /// <summary>
    /// Required, then one of <see cref="Protocols"/>. Core kinds treat an empty protocol as missing; EndpointSlices
    /// (a pointer upstream) only a null one (<paramref name="emptyIsMissing"/> false).
    /// </summary>
    public static IEnumerable<FieldError> Protocol(FieldPath path, string? protocol, bool emptyIsMissing = true)
    {
        if (protocol is null || (emptyIsMissing && protocol.Length == 0))
        {
            yield return FieldErrors.Required(path, "");
        }
        else if (!Protocols.Contains(protocol))
        {
            yield return FieldErrors.NotSupported(path, BadValue.Named(protocol), Protocols);
        }
    }
}
