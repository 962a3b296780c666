using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strata.ApiServer.Authentication;

/// <summary>The object a token is bound to (a Pod), as TokenRequest's <c>boundObjectRef</c> names it.</summary>
public sealed record BoundObject(string Kind, string Name, string Uid);

/// <summary>What a service account token says (pkg/serviceaccount/claims.go: the private <c>kubernetes.io</c> claims).</summary>
public sealed record ServiceAccountClaims(
    string Namespace,
    string ServiceAccount,
    string ServiceAccountUid,
    BoundObject? Pod,
    IReadOnlyList<string> Audiences,
    DateTimeOffset IssuedAt,
    DateTimeOffset Expires,
    DateTimeOffset? WarnAfter = null)
{
    /// <summary>The user the token authenticates as (serviceaccount.MakeUsername).</summary>
    public string Username => $"system:serviceaccount:{Namespace}:{ServiceAccount}";
}

/// <summary>A token's claims, or why it is not accepted.</summary>
public sealed record TokenValidation(ServiceAccountClaims? Claims, string? Error)
{
    public static TokenValidation Fail(string error) => new(null, error);
}

/// <summary>
/// Signs and verifies service account tokens: JWTs (RFC 7519) signed with ES256 (RFC 7518 §3.4) by a key made at first
/// start (sa.key beside the CA, as kubeadm keeps its sa.key), the way kube-apiserver's JWT token generator and its
/// service account authenticator do (pkg/serviceaccount/jwt.go, claims.go). The lab runs one API server, so the signing
/// key is also the only verifying key.
/// </summary>
public sealed class ServiceAccountTokens : IDisposable
{
    /// <summary>--service-account-issuer as kubeadm sets it; also the API's audience (--api-audiences defaults to it).</summary>
    public const string DefaultIssuer = "https://kubernetes.default.svc.cluster.local";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    private readonly ECDsa _key;
    private readonly string _keyId;
    private readonly TimeProvider _time;

    public ServiceAccountTokens(ECDsa key, TimeProvider time, string issuer = DefaultIssuer)
    {
        _key = key;
        _time = time;
        Issuer = issuer;
        // kid: the SHA-256 of the public key's DER, base64url, as upstream's keyIDFromPublicKey.
        _keyId = Base64Url(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public string Issuer { get; }

    /// <summary>The audiences the API itself accepts.</summary>
    public IReadOnlyList<string> ApiAudiences => [Issuer];

    /// <summary>Reads the signing key <c>sa.key</c> in <paramref name="directory"/>, making it (readable by root only) the first time.</summary>
    public static ServiceAccountTokens LoadOrCreate(string directory, TimeProvider time)
    {
        var path = Path.Combine(directory, "sa.key");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(path, "");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        }

        return new ServiceAccountTokens(key, time);
    }

    public string Issue(ServiceAccountClaims claims)
    {
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = _keyId };
        var kubernetesClaims = new JsonObject
        {
            ["namespace"] = claims.Namespace,
            ["serviceaccount"] = new JsonObject { ["name"] = claims.ServiceAccount, ["uid"] = claims.ServiceAccountUid },
        };
        if (claims.Pod is { } pod)
        {
            kubernetesClaims["pod"] = new JsonObject { ["name"] = pod.Name, ["uid"] = pod.Uid };
        }

        if (claims.WarnAfter is { } warnAfter)
        {
            kubernetesClaims["warnafter"] = warnAfter.ToUnixTimeSeconds();
        }

        var payload = new JsonObject
        {
            ["aud"] = new JsonArray([.. claims.Audiences.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["exp"] = claims.Expires.ToUnixTimeSeconds(),
            ["iat"] = claims.IssuedAt.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = kubernetesClaims,
            ["nbf"] = claims.IssuedAt.ToUnixTimeSeconds(),
            ["sub"] = claims.Username,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString(Compact))) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString(Compact)));
        // JWS wants the signature as r‖s (IEEE P1363), .NET's default for SignData.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>
    /// Checks the signature, issuer, audience and validity window (with upstream's 60 s of leeway). Whether the service
    /// account and the bound pod still exist is the caller's to check (<see cref="RequestAuthenticator"/>).
    /// </summary>
    public TokenValidation Validate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return TokenValidation.Fail("not a JWT (three base64url parts separated by dots)");
        }

        JsonObject header;
        JsonObject payload;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject ?? throw new FormatException("the header is not an object");
            payload = JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject ?? throw new FormatException("the payload is not an object");
            signature = FromBase64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return TokenValidation.Fail($"malformed JWT: {e.Message}");
        }

        if ((string?)header["alg"] != "ES256")
        {
            return TokenValidation.Fail($"unexpected signing algorithm \"{(string?)header["alg"]}\"");
        }

        if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return TokenValidation.Fail("invalid signature");
        }

        try
        {
            if ((string?)payload["iss"] != Issuer)
            {
                return TokenValidation.Fail($"issuer \"{(string?)payload["iss"]}\" is not {Issuer}");
            }

            var audiences = payload["aud"] switch
            {
                JsonArray array => array.Select(a => (string?)a ?? "").ToList(),
                JsonValue single => [(string?)single ?? ""],
                _ => [],
            };
            if (!audiences.Intersect(ApiAudiences).Any())
            {
                return TokenValidation.Fail($"token audiences [{string.Join(", ", audiences)}] are not the API's [{string.Join(", ", ApiAudiences)}]");
            }

            var now = _time.GetUtcNow();
            var leeway = TimeSpan.FromSeconds(60);
            var expires = DateTimeOffset.FromUnixTimeSeconds((long?)payload["exp"] ?? 0);
            var notBefore = DateTimeOffset.FromUnixTimeSeconds((long?)payload["nbf"] ?? 0);
            if (now > expires + leeway)
            {
                return TokenValidation.Fail("service account token has expired");
            }

            if (now + leeway < notBefore)
            {
                return TokenValidation.Fail("service account token is not valid yet");
            }

            if (payload["kubernetes.io"] is not JsonObject k8s || k8s["serviceaccount"] is not JsonObject account)
            {
                return TokenValidation.Fail("not a service account token (no kubernetes.io.serviceaccount claim)");
            }

            BoundObject? pod = k8s["pod"] is JsonObject p ? new BoundObject("Pod", (string?)p["name"] ?? "", (string?)p["uid"] ?? "") : null;
            DateTimeOffset? warnAfter = (long?)k8s["warnafter"] is { } w ? DateTimeOffset.FromUnixTimeSeconds(w) : null;
            return new TokenValidation(new ServiceAccountClaims((string?)k8s["namespace"] ?? "", (string?)account["name"] ?? "", (string?)account["uid"] ?? "", pod,
                audiences, DateTimeOffset.FromUnixTimeSeconds((long?)payload["iat"] ?? 0), expires, warnAfter), null);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            return TokenValidation.Fail($"malformed claims: {e.Message}");
        }
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Convert.FromBase64String(padded);
    }
}
