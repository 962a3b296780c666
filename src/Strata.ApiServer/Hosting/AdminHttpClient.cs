using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace Strata.ApiServer.Hosting;

/// <summary>An HttpClient for the API server as its kubeconfig describes it: trusting only the server's CA, sending the admin token.</summary>
public static class AdminHttpClient
{
    public static HttpClient Create(Uri address, X509Certificate2 ca, string token, int maxConnections = 64)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
                },
            },
        };
        var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static HttpClient Create(ApiServerHost host) =>
        Create(host.Addresses[0], host.Credentials.CaCertificate, host.Credentials.Token);
}
