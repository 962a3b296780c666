namespace Strata.Controllers.Client;

/// <summary>A <c>metav1.Status</c> failure from the API server: the HTTP code, the reason and the message.</summary>
public sealed class KubeApiException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public bool IsNotFound => Code == 404;

    public bool IsConflict => Code == 409 && Reason != "AlreadyExists";

    public bool IsAlreadyExists => Reason == "AlreadyExists";

    public bool IsGone => Code == 410 || Reason is "Expired" or "Gone";

    public bool IsInvalid => Code == 422;
}
