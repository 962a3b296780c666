using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Strata.ApiServer.Authentication;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Authentication;

/// <summary>Service account tokens: signed and verified JWTs, TokenRequest, and bearer authentication that refuses bad tokens with 401.</summary>
public sealed class ServiceAccountTokenTests
{
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static ServiceAccountClaims Claims(DateTimeOffset now, TimeSpan lifetime) =>
        new("default", "default", "uid-sa", new BoundObject("Pod", "web", "uid-pod"), [ServiceAccountTokens.DefaultIssuer], now, now + lifetime);

    [Fact]
    public void AnIssuedTokenVerifiesWithItsClaims()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var tokens = new ServiceAccountTokens(ECDsa.Create(ECCurve.NamedCurves.nistP256), time);
        var token = tokens.Issue(Claims(time.Now, TimeSpan.FromHours(1)));

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[0]))))!;
        Assert.Equal("ES256", (string?)header["alg"]);
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))))!;
        Assert.Equal("system:serviceaccount:default:default", (string?)payload["sub"]);
        Assert.Equal("https://kubernetes.default.svc.cluster.local", (string?)payload["iss"]);
        Assert.Equal(1_800_003_600, (long?)payload["exp"]);
        Assert.Equal("web", (string?)payload["kubernetes.io"]!["pod"]!["name"]);

        var validation = tokens.Validate(token);
        Assert.Null(validation.Error);
        Assert.Equal("system:serviceaccount:default:default", validation.Claims!.Username);
        Assert.Equal(new BoundObject("Pod", "web", "uid-pod"), validation.Claims.Pod);
        Assert.Equal("uid-sa", validation.Claims.ServiceAccountUid);
    }

    [Fact]
    public void WrongExpiredAndMalformedTokensAreRefusedWithTheReason()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var tokens = new ServiceAccountTokens(ECDsa.Create(ECCurve.NamedCurves.nistP256), time);
        using var other = new ServiceAccountTokens(ECDsa.Create(ECCurve.NamedCurves.nistP256), time);
        var token = tokens.Issue(Claims(time.Now, TimeSpan.FromHours(1)));

        Assert.Equal("invalid signature", tokens.Validate(other.Issue(Claims(time.Now, TimeSpan.FromHours(1)))).Error);
        // A payload changed after signing (another service account) no longer matches the signature.
        var parts = token.Split('.');
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace("uid-sa", "uid-xx")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal("invalid signature", tokens.Validate($"{parts[0]}.{forged}.{parts[2]}").Error);
        Assert.Equal("not a JWT (three base64url parts separated by dots)", tokens.Validate("abc.def").Error);
        Assert.StartsWith("malformed JWT: ", tokens.Validate("!!!.e30.e30").Error);

        // Valid up to the expiry plus upstream's 60 s of leeway, refused after.
        time.Now += TimeSpan.FromHours(1) + TimeSpan.FromSeconds(59);
        Assert.Null(tokens.Validate(token).Error);
        time.Now += TimeSpan.FromSeconds(2);
        Assert.Equal("service account token has expired", tokens.Validate(token).Error);

        var wrongAudience = tokens.Issue(Claims(time.Now, TimeSpan.FromHours(1)) with { Audiences = ["vault"] });
        Assert.Equal("token audiences [vault] are not the API's [https://kubernetes.default.svc.cluster.local]", tokens.Validate(wrongAudience).Error);
    }

    [KubectlFact]
    public async Task KubectlCreateTokenGivesATokenTheServerAcceptsUntilItsAccountGoes()
    {
        await using var api = await TestApiServer.StartAsync();
        api.KubectlOk("create", "serviceaccount", "reader");
        var token = api.KubectlOk("create", "token", "reader").Trim();
        Assert.StartsWith("ey", token);

        Assert.Equal("reader", api.KubectlOk("--token", token, "get", "serviceaccount", "reader", "-o", "jsonpath={.metadata.name}"));
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(api, token));

        // A wrong token, and a well-formed one with a bad signature: 401, and kubectl says so.
        var (code, _, stderr) = api.Kubectl("--token", "not-a-token", "get", "pods");
        Assert.Equal(1, code);
        Assert.Contains("error: You must be logged in to the server (Unauthorized)", stderr);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(api, token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA")));

        // TokenRequest validation, as upstream words it.
        var (tooShort, _, shortError) = api.Kubectl("create", "token", "reader", "--duration=5m");
        Assert.Equal(1, tooShort);
        Assert.Contains("spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes", shortError);
        var (missing, _, missingError) = api.Kubectl("create", "token", "nobody");
        Assert.Equal(1, missing);
        Assert.Contains("serviceaccounts \"nobody\" not found", missingError);

        // The token names its account's UID: deleted (even if recreated), the account's tokens stop working.
        api.KubectlOk("delete", "serviceaccount", "reader");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(api, token));
        api.KubectlOk("create", "serviceaccount", "reader");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(api, token));
    }

    [Fact]
    public async Task ABoundTokenDiesWithItsPodAndKubeApiAccessTokensAreExtended()
    {
        await using var api = await TestApiServer.StartAsync();
        var (status, account) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts", JsonNode.Parse("""{"metadata":{"name":"default"}}"""));
        Assert.Equal(201, status);
        var (_, pod) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods",
            JsonNode.Parse("""{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"""));
        var request = JsonNode.Parse("""
            {"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
             "spec":{"expirationSeconds":3607,"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web"}}}
            """)!;
        request["spec"]!["boundObjectRef"]!["uid"] = (string?)pod["metadata"]!["uid"];
        var (created, answer) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts/default/token", request);
        Assert.Equal(201, created);
        Assert.Equal("TokenRequest", (string?)answer["kind"]);
        var token = (string)answer["status"]!["token"]!;
        var expiration = DateTimeOffset.Parse((string)answer["status"]!["expirationTimestamp"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiration - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(3500), TimeSpan.FromSeconds(3607));

        var claims = api.Host.TokenSigner.Validate(token).Claims!;
        Assert.Equal(new BoundObject("Pod", "web", (string)pod["metadata"]!["uid"]!), claims.Pod);
        Assert.Equal((string?)account["metadata"]!["uid"], claims.ServiceAccountUid);
        // The kube-api-access lifetime (3607 s) is extended to a year, with the requested expiry as warnafter.
        Assert.InRange(claims.Expires - claims.IssuedAt, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
        Assert.Equal(expiration.ToUnixTimeSeconds(), claims.WarnAfter!.Value.ToUnixTimeSeconds());

        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(api, token));
        var (wrongUid, conflict) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts/default/token",
            JsonNode.Parse("""{"spec":{"boundObjectRef":{"kind":"Pod","name":"web","uid":"0000"}}}"""));
        Assert.Equal(409, wrongUid);
        Assert.Contains("the UID in the bound object reference (0000) does not match the UID in record", (string?)conflict["message"]);

        var (deleted, _) = await api.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0");
        Assert.Equal(200, deleted);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(api, token));
    }

    private static async Task<HttpStatusCode> StatusWithAsync(TestApiServer api, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/pods");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var client = TestApiServer.CreateClient(api.Host);
        client.DefaultRequestHeaders.Authorization = null;
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}
