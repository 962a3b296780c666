namespace Strata.Controllers.Client;

/// <summary>A TokenRequest's spec: the audiences (the API's when empty), the lifetime, and the pod the token is bound to.</summary>
public sealed record ServiceAccountTokenRequest(IReadOnlyList<string> Audiences, long ExpirationSeconds, string? PodName = null, string? PodUid = null);

/// <summary>The issued token and when the server says it expires.</summary>
public sealed record ServiceAccountToken(string Token, DateTimeOffset ExpirationTimestamp);

/// <summary>POST <c>serviceaccounts/{name}/token</c> (authentication.k8s.io/v1 TokenRequest), as the kubelet asks for projected tokens.</summary>
public interface ITokenRequester
{
    Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken = default);
}
