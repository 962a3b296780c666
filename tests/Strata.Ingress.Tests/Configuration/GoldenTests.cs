using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Strata.Ingress.Configuration;
using Strata.Ingress.Routing;
using Strata.Ingress.Tls;

namespace Strata.Ingress.Tests.Configuration;

/// <summary>
/// testdata/&lt;case&gt;/ingress.yaml (Ingresses, IngressClasses, Services, EndpointSlices, Secrets) in, routes.txt out;
/// requests.txt, when present, lists <c>host path => backend</c> lines checked through the matcher against the built table.
/// STRATA_UPDATE_GOLDEN=1 rewrites routes.txt (review the diff).
/// </summary>
public sealed class GoldenTests
{
    private static readonly Lazy<X509Certificate2> Fake = new(() => FakeCertificate.Create());

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "testdata")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoutesMatchGolden(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "testdata", name);
        var table = Build(File.ReadAllText(Path.Combine(dir, "ingress.yaml")));
        var actual = RouteTableText.Render(table);
        var goldenPath = Path.Combine(dir, "routes.txt");
        if (Environment.GetEnvironmentVariable("STRATA_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(Repository.Root, "tests", "Strata.Ingress.Tests", "testdata", name, "routes.txt");
            File.WriteAllText(source, actual);
            File.WriteAllText(goldenPath, actual);
        }

        Assert.Equal(File.ReadAllText(goldenPath), actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RequestsPickTheExpectedBackend(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "testdata", name);
        var requests = Path.Combine(dir, "requests.txt");
        if (!File.Exists(requests))
        {
            return;
        }

        var table = Build(File.ReadAllText(Path.Combine(dir, "ingress.yaml")));
        foreach (var line in File.ReadAllLines(requests).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            // host path => namespace/service:port [path]   or   host path => 404
            var parts = line.Split("=>", StringSplitOptions.TrimEntries);
            var request = parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var host = request[0] == "-" ? "" : request[0];
            var match = RouteMatcher.Match(table, host, request[1]);
            var actual = match.Route is null ? "404" : match.Route.Backend.Name;
            Assert.True(parts[1] == actual, $"{name}: {line}: got {actual}");
        }
    }

    internal static RouteTable Build(string yaml, params object[] extra) =>
        new RouteTableBuilder(new IngressClassIdentity(), Fake.Value).Build(ManifestState.Parse(yaml, extra));
}
