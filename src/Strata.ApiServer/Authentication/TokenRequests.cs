using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Authentication;

/// <summary>
/// <c>POST serviceaccounts/{name}/token</c>: an authentication.k8s.io/v1 TokenRequest answered with a signed token, as
/// kube-apiserver's TokenREST does (pkg/registry/core/serviceaccount/storage/token.go; validation in
/// pkg/apis/authentication/validation). Tokens may be bound to a Pod; the kubelet's kube-api-access tokens (3607 s)
/// are extended to a year with a warnafter claim, as with upstream's default --service-account-extend-token-expiration.
/// </summary>
public sealed class TokenRequests(ObjectRegistry registry, ServiceAccountTokens tokens, TimeProvider time)
{
    /// <summary>The expiration the ServiceAccount admission gives kube-api-access volumes (WarnOnlyBoundTokenExpirationSeconds).</summary>
    public const long WarnOnlyExpirationSeconds = 3607;

    public static readonly TimeSpan ExtendedExpiration = TimeSpan.FromDays(365);

    private const long MinExpirationSeconds = 600;

    private static readonly ResourceInfo TokenRequest = new("authentication.k8s.io", "v1", "tokenrequests", "TokenRequest", true, [], [], []);

    public async Task<JsonObject> CreateAsync(string ns, string serviceAccount, JsonObject request, CancellationToken cancellationToken)
    {
        var accounts = registry.Catalog.Get("", "serviceaccounts");
        var account = await registry.GetAsync(accounts, ns, serviceAccount, cancellationToken);
        var spec = request["spec"] as JsonObject ?? new JsonObject();
        long seconds = spec["expirationSeconds"] is JsonValue v && v.TryGetValue<long>(out var s) ? s : 3600;
        var audiences = spec["audiences"] is JsonArray a && a.Count > 0 ? a.Select(x => (string?)x ?? "").ToList() : [.. tokens.ApiAudiences];
        var errors = new List<FieldError>();
        if (seconds < MinExpirationSeconds)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration less than 10 minutes"));
        }
        else if (seconds > 1L << 32)
        {
            errors.Add(new FieldError("FieldValueInvalid", "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds"));
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid(TokenRequest, serviceAccount, errors);
        }

        BoundObject? pod = null;
        if (spec["boundObjectRef"] is JsonObject bound)
        {
            var kind = (string?)bound["kind"];
            if (kind != "Pod")
            {
                throw ApiException.BadRequest($"cannot bind token for object of kind \"{kind}\": only Pod is supported");
            }

            var name = (string?)bound["name"] ?? "";
            var found = await registry.GetAsync(registry.Catalog.Get("", "pods"), ns, name, cancellationToken);
            if ((string?)bound["uid"] is { Length: > 0 } uid && uid != found.Uid())
            {
                throw ApiException.Conflict(registry.Catalog.Get("", "pods"), name,
                    $"the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated");
            }

            var podAccount = (string?)found["spec"]?["serviceAccountName"] ?? "default";
            if (podAccount != serviceAccount)
            {
                throw ApiException.BadRequest($"cannot bind token for serviceaccount \"{serviceAccount}\" to pod running with different serviceaccount name.");
            }

            pod = new BoundObject("Pod", name, found.Uid()!);
        }

        var now = time.GetUtcNow();
        var expires = now.AddSeconds(seconds);
        DateTimeOffset? warnAfter = null;
        if (pod is not null && seconds == WarnOnlyExpirationSeconds && audiences.SequenceEqual(tokens.ApiAudiences))
        {
            warnAfter = expires;
            expires = now + ExtendedExpiration;
        }

        var token = tokens.Issue(new ServiceAccountClaims(ns, serviceAccount, account.Uid()!, pod, audiences, now, expires, warnAfter));
        var outSpec = new JsonObject
        {
            ["audiences"] = new JsonArray([.. audiences.Select(x => (JsonNode)JsonValue.Create(x))]),
            ["expirationSeconds"] = seconds,
            ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
        };
        return new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = serviceAccount, ["namespace"] = ns, ["creationTimestamp"] = null },
            ["spec"] = outSpec,
            ["status"] = new JsonObject
            {
                ["token"] = token,
                // What was asked for, not the extension: the kubelet refreshes on this (token.go sets it from the spec).
                ["expirationTimestamp"] = ObjectMeta.Timestamp(now.AddSeconds(seconds)),
            },
        };
    }
}
