using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Strata.ApiServer.Registry;

namespace Strata.ApiServer.Authentication;

/// <summary>Who a request is from, or why it is refused with 401.</summary>
public sealed record Authentication(string? User, string? Error)
{
    public bool Succeeded => User is not null;
}

/// <summary>
/// Bearer tokens: the admin token of the kubeconfig the server writes, and service account tokens, which must verify
/// and whose service account (and bound pod) must still exist with the UIDs the token names, as upstream's
/// validator checks them through its getters (pkg/serviceaccount/claims.go, validator.Validate).
/// </summary>
public sealed class RequestAuthenticator(string adminToken, ServiceAccountTokens? tokens, ObjectRegistry registry)
{
    public const string AdminUser = "kubernetes-admin";

    public async Task<Authentication> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return new Authentication(null, "no bearer token");
        }

        var token = authorization[7..].Trim();
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(adminToken)))
        {
            return new Authentication(AdminUser, null);
        }

        if (tokens is null || !token.StartsWith("ey", StringComparison.Ordinal))
        {
            return new Authentication(null, "unknown token");
        }

        var validation = tokens.Validate(token);
        if (validation.Claims is not { } claims)
        {
            return new Authentication(null, validation.Error);
        }

        var account = await FindAsync("serviceaccounts", claims.Namespace, claims.ServiceAccount, cancellationToken);
        if (account is null)
        {
            return new Authentication(null, $"service account {claims.Namespace}/{claims.ServiceAccount} has been deleted");
        }

        if (account.Uid() != claims.ServiceAccountUid)
        {
            return new Authentication(null, $"service account UID ({account.Uid()}) does not match claim ({claims.ServiceAccountUid})");
        }

        if (claims.Pod is { } bound)
        {
            var pod = await FindAsync("pods", claims.Namespace, bound.Name, cancellationToken);
            if (pod is null)
            {
                return new Authentication(null, $"pod {claims.Namespace}/{bound.Name} has been deleted");
            }

            if (pod.Uid() != bound.Uid)
            {
                return new Authentication(null, $"pod UID ({pod.Uid()}) does not match claim ({bound.Uid})");
            }
        }

        return new Authentication(claims.Username, null);
    }

    private async Task<JsonObject?> FindAsync(string resource, string ns, string name, CancellationToken cancellationToken)
    {
        var info = registry.Catalog.Get("", resource);
        return await registry.Store.GetAsync(info.Key(ns, name), cancellationToken) is { } stored ? stored.Value : null;
    }
}
