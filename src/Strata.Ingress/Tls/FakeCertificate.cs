using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strata.Ingress.Tls;

/// <summary>
/// The certificate served when no Secret fits the SNI name, as ingress-nginx generates it at start
/// (internal/net/ssl: "Kubernetes Ingress Controller Fake Certificate", O=Acme Co, DNS ingress.local, a year's validity).
/// </summary>
public static class FakeCertificate
{
    public const string CommonName = "Kubernetes Ingress Controller Fake Certificate";

    public static X509Certificate2 Create(TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={CommonName}, O=Acme Co", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("ingress.local");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }
}
