using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// The server's CA, serving certificate and admin bearer token, made at first start and reused after
/// (ca.crt, ca.key, apiserver.crt, apiserver.key, token under the data directory, keys readable by root only).
/// </summary>
public sealed class ServerCredentials
{
    /// <summary>The names and addresses kube-apiserver's serving certificate carries in the lab (issue #5).</summary>
    public static readonly IReadOnlyList<string> DnsNames =
        ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"];

    public static readonly IReadOnlyList<IPAddress> Addresses =
        [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("172.19.0.2"), IPAddress.Parse("10.233.0.1")];

    private ServerCredentials(X509Certificate2 ca, X509Certificate2 serving, string token)
    {
        CaCertificate = ca;
        ServingCertificate = serving;
        Token = token;
    }

    public X509Certificate2 CaCertificate { get; }

    /// <summary>The serving certificate, with its private key.</summary>
    public X509Certificate2 ServingCertificate { get; }

    public string Token { get; }

    public string CaPem => CaCertificate.ExportCertificatePem();

    public static ServerCredentials LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        var caCrt = Path.Combine(directory, "ca.crt");
        var caKey = Path.Combine(directory, "ca.key");
        var crt = Path.Combine(directory, "apiserver.crt");
        var key = Path.Combine(directory, "apiserver.key");
        var tokenFile = Path.Combine(directory, "token");

        if (!File.Exists(caCrt) || !File.Exists(caKey))
        {
            using var caKeyPair = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=strata-ca", caKeyPair, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
            WritePrivate(caKey, caKeyPair.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(caCrt, ca.ExportCertificatePem() + "\n");
            File.Delete(crt); // A new CA needs a new serving certificate.
        }

        var caCertificate = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        if (!File.Exists(crt) || !File.Exists(key))
        {
            using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kube-apiserver", servingKey, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in DnsNames)
            {
                san.AddDnsName(name);
            }

            foreach (var address in Addresses)
            {
                san.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7f;
            using var signed = request.Create(caCertificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);
            WritePrivate(key, servingKey.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(crt, signed.ExportCertificatePem() + "\n" + caCertificate.ExportCertificatePem() + "\n");
        }

        if (!File.Exists(tokenFile))
        {
            WritePrivate(tokenFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
        }

        // Kestrel on Linux wants the key in an exportable, in-memory form: round-trip through PKCS#12.
        using var pem = X509Certificate2.CreateFromPemFile(crt, key);
        var serving = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return new ServerCredentials(caCertificate, serving, File.ReadAllText(tokenFile).Trim());
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, content);
    }
}
