using k8s.Models;

namespace Strata.Ingress.Gateway;

/// <summary>The condition types and reasons of apis/v1 (gatewayclass_types.go, gateway_types.go, shared_types.go) that Strata sets.</summary>
public static class GatewayConditions
{
    public const string Accepted = "Accepted";
    public const string Programmed = "Programmed";
    public const string ResolvedRefs = "ResolvedRefs";
    public const string Conflicted = "Conflicted";

    public const string ReasonAccepted = "Accepted";
    public const string ReasonProgrammed = "Programmed";
    public const string ReasonResolvedRefs = "ResolvedRefs";
    public const string ReasonInvalid = "Invalid";
    public const string ReasonListenersNotValid = "ListenersNotValid";
    public const string ReasonNoConflicts = "NoConflicts";
    public const string ReasonProtocolConflict = "ProtocolConflict";
    public const string ReasonHostnameConflict = "HostnameConflict";
    public const string ReasonUnsupportedProtocol = "UnsupportedProtocol";
    public const string ReasonInvalidCertificateRef = "InvalidCertificateRef";
    public const string ReasonInvalidRouteKinds = "InvalidRouteKinds";
    public const string ReasonRefNotPermitted = "RefNotPermitted";
    public const string ReasonNotAllowedByListeners = "NotAllowedByListeners";
    public const string ReasonNoMatchingListenerHostname = "NoMatchingListenerHostname";
    public const string ReasonNoMatchingParent = "NoMatchingParent";
    public const string ReasonUnsupportedValue = "UnsupportedValue";
    public const string ReasonBackendNotFound = "BackendNotFound";
    public const string ReasonInvalidKind = "InvalidKind";

    public static V1Condition Make(string type, bool status, string reason, string message, long? generation) => new()
    {
        Type = type,
        Status = status ? "True" : "False",
        Reason = reason,
        Message = message,
        ObservedGeneration = generation,
    };

    /// <summary>
    /// The wanted conditions with their lastTransitionTime: kept from the current condition of the same type when its
    /// status did not change, else now (metav1.Condition semantics, as meta.SetStatusCondition does).
    /// </summary>
    public static List<V1Condition> Stamp(IEnumerable<V1Condition> wanted, IEnumerable<V1Condition>? current, DateTime now)
    {
        var before = (current ?? []).GroupBy(c => c.Type).ToDictionary(g => g.Key, g => g.First());
        return [.. wanted.Select(w => new V1Condition
        {
            Type = w.Type,
            Status = w.Status,
            Reason = w.Reason,
            Message = w.Message,
            ObservedGeneration = w.ObservedGeneration,
            LastTransitionTime = before.TryGetValue(w.Type, out var old) && old.Status == w.Status && old.LastTransitionTime is { } time ? time : now,
        })];
    }

    /// <summary>Whether two condition lists say the same (transition times aside).</summary>
    public static bool Same(IEnumerable<V1Condition>? a, IEnumerable<V1Condition>? b) =>
        (a ?? []).Select(Key).SequenceEqual((b ?? []).Select(Key));

    private static (string, string, string?, string?, long?) Key(V1Condition c) => (c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration);
}
