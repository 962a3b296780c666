using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Strata.Ingress.Gateway;
using static Strata.Ingress.Tests.Gateway.GatewayFixture;

namespace Strata.Ingress.Tests.Gateway;

/// <summary>
/// GatewayClass, Gateway, listener and HTTPRoute parent statuses, rewritten from GatewayClassObservedGenerationBump,
/// GatewayInvalidRouteKind, GatewayInvalidTLSConfiguration, GatewaySecretReferenceGrant*, GatewayWithAttachedRoutes,
/// HTTPRouteInvalidCrossNamespaceParentRef, HTTPRouteInvalidParentRefNotMatchingSectionName/ListenerPort and the
/// allowedRoutes cases of the Gateway docs.
/// </summary>
public sealed class GatewayStatusTests
{
    [Fact]
    public void Only_our_gateway_class_is_accepted_with_its_generation_and_others_are_left_alone()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: theirs, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: other
              listeners: [{name: http, port: 81, protocol: HTTP}]
            """);
        Assert.Equal(["gatewayclass strata: Accepted=True"], StatusLines(config, "gatewayclass"));
        Assert.Equal(1, config.Classes.Single().Conditions.Single().ObservedGeneration);
        Assert.Equal(["gateway gateway-conformance-infra/same-namespace: Accepted=True Programmed=True"], StatusLines(config, "gateway "));
        Assert.Null(config.PortFor(81));
        Assert.Equal(["192.0.2.10"], config.Gateways.Single().Addresses);
    }

    [Fact]
    public void Listener_route_kinds_that_are_not_httproute_are_invalid_route_kinds()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gateway-only-invalid-route-kind, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: InvalidRouteKind}]}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gateway-supported-and-invalid-route-kind, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: http, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: InvalidRouteKind}, {kind: HTTPRoute, group: gateway.networking.k8s.io}]}}
            """);
        Assert.Equal(
            [
                "  listener http: attached=0 kinds= Accepted=True Programmed=False(Invalid: the listener is not served) ResolvedRefs=False(InvalidRouteKinds: route kind InvalidRouteKind is not supported) Conflicted=False(NoConflicts: no conflicts)",
                "  listener http: attached=0 kinds=HTTPRoute Accepted=True Programmed=False(Invalid: the listener is not served) ResolvedRefs=False(InvalidRouteKinds: route kind InvalidRouteKind is not supported) Conflicted=False(NoConflicts: no conflicts)",
            ],
            [.. ListenerLines(config, "gateway-conformance-infra/gateway-only-invalid-route-kind"), .. ListenerLines(config, "gateway-conformance-infra/gateway-supported-and-invalid-route-kind")]);
    }

    [Fact]
    public void Https_listeners_need_a_usable_tls_secret_and_a_grant_for_another_namespace()
    {
        var (crt, key) = SelfSigned("secure.example.com");
        var config = Build($$$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: tls-validity-checks-certificate, namespace: gateway-conformance-infra}
            type: kubernetes.io/tls
            data: {tls.crt: {{{crt}}}, tls.key: {{{key}}}}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: malformed, namespace: gateway-conformance-infra}
            type: kubernetes.io/tls
            data: {tls.crt: {{{Convert.ToBase64String("not a certificate"u8)}}}, tls.key: {{{key}}}}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: opaque, namespace: gateway-conformance-infra}
            data: {tls.crt: {{{crt}}}, tls.key: {{{key}}}}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: certificate, namespace: gateway-conformance-web-backend}
            type: kubernetes.io/tls
            data: {tls.crt: {{{crt}}}, tls.key: {{{key}}}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: tls, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: good, port: 443, protocol: HTTPS, hostname: secure.example.com, tls: {certificateRefs: [{name: tls-validity-checks-certificate}]}}
              - {name: nonexistent, port: 443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: nonexistent-certificate}]}}
              - {name: malformed, port: 443, protocol: HTTPS, hostname: b.example.com, tls: {certificateRefs: [{name: malformed}]}}
              - {name: opaque, port: 443, protocol: HTTPS, hostname: c.example.com, tls: {certificateRefs: [{name: opaque}]}}
              - {name: kind, port: 443, protocol: HTTPS, hostname: d.example.com, tls: {certificateRefs: [{name: tls-validity-checks-certificate, kind: ConfigMap}]}}
              - {name: cross, port: 443, protocol: HTTPS, hostname: e.example.com, tls: {certificateRefs: [{name: certificate, namespace: gateway-conformance-web-backend}]}}
              - {name: tcp, port: 9000, protocol: TCP}
            """);
        var lines = ListenerLines(config, "gateway-conformance-infra/tls");
        Assert.Contains("  listener good: attached=0 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)", lines);
        Assert.Contains(lines, l => l.StartsWith("  listener nonexistent:", StringComparison.Ordinal) && l.Contains("ResolvedRefs=False(InvalidCertificateRef: Secret gateway-conformance-infra/nonexistent-certificate not found)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  listener malformed:", StringComparison.Ordinal) && l.Contains("ResolvedRefs=False(InvalidCertificateRef: Secret gateway-conformance-infra/malformed does not hold a usable certificate and key", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  listener opaque:", StringComparison.Ordinal) && l.Contains("ResolvedRefs=False(InvalidCertificateRef: Secret gateway-conformance-infra/opaque is of type Opaque, not kubernetes.io/tls)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  listener kind:", StringComparison.Ordinal) && l.Contains("ResolvedRefs=False(InvalidCertificateRef: certificateRef /ConfigMap gateway-conformance-infra/tls-validity-checks-certificate is not a core Secret)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  listener cross:", StringComparison.Ordinal) && l.Contains("ResolvedRefs=False(RefNotPermitted: certificateRef Secret gateway-conformance-web-backend/certificate is in another namespace and no ReferenceGrant there allows it)", StringComparison.Ordinal));
        Assert.Contains("  listener tcp: attached=0 kinds= Accepted=False(UnsupportedProtocol: protocol TCP is not supported (HTTP and HTTPS are)) Programmed=False(Invalid: the listener is not served) ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)", lines);
        Assert.Contains("gateway gateway-conformance-infra/tls: Accepted=True(ListenersNotValid: listeners not valid: nonexistent, malformed, opaque, kind, cross, tcp) Programmed=True", StatusLines(config, "gateway gateway-conformance-infra/tls"));

        var port = config.PortFor(443)!;
        Assert.True(port.Https);
        Assert.Equal("CN=secure.example.com", port.CertificateFor("secure.example.com")!.Subject);
        Assert.Equal(["gateway-conformance-infra/tls-validity-checks-certificate"], port.Certificates.Select(c => c.SecretName));

        var granted = Build($$$"""
            apiVersion: v1
            kind: Secret
            metadata: {name: certificate, namespace: gateway-conformance-web-backend}
            type: kubernetes.io/tls
            data: {tls.crt: {{{crt}}}, tls.key: {{{key}}}}
            ---
            apiVersion: gateway.networking.k8s.io/v1beta1
            kind: ReferenceGrant
            metadata: {name: secret-grant, namespace: gateway-conformance-web-backend}
            spec:
              from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: gateway-conformance-infra}]
              to: [{group: "", kind: Secret}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: tls, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: cross, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: certificate, namespace: gateway-conformance-web-backend}]}}
            """);
        Assert.Equal(["  listener cross: attached=0 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)"], StatusLines(granted, "  listener cross"));
    }

    [Fact]
    public void Listeners_on_one_port_with_two_protocols_or_the_same_hostname_conflict()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: conflicts, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: a, port: 8080, protocol: HTTP, hostname: same.example.com}
              - {name: b, port: 8080, protocol: HTTP, hostname: same.example.com}
              - {name: c, port: 80, protocol: HTTPS, hostname: other.example.com, tls: {certificateRefs: [{name: none}]}}
            """);
        var lines = ListenerLines(config, "gateway-conformance-infra/conflicts");
        Assert.Contains(lines, l => l.StartsWith("  listener a:", StringComparison.Ordinal) && l.EndsWith("Conflicted=True(HostnameConflict: listeners a, b share port 8080 and hostname \"same.example.com\")", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  listener c:", StringComparison.Ordinal) && l.EndsWith("Conflicted=True(ProtocolConflict: port 80 is already served as HTTP)", StringComparison.Ordinal));
        Assert.Null(config.PortFor(8080));
        Assert.False(config.PortFor(80)!.Https);
    }

    [Fact]
    public void Route_parents_report_why_they_do_not_attach()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: selective, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: strata
              listeners:
              - {name: all, port: 8081, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
              - name: selected
                port: 8082
                protocol: HTTP
                allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway-conformance: web-backend}}}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: invalid-cross-namespace-parent-ref, namespace: gateway-conformance-web-backend}
            spec:
              parentRefs: [{name: same-namespace, namespace: gateway-conformance-infra}]
              rules: [{backendRefs: [{name: web-backend, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: section-name, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace, sectionName: nonexistent}]
              rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: listener-port, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace, port: 81}]
              rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: from-web, namespace: gateway-conformance-web-backend}
            spec:
              parentRefs: [{name: selective, namespace: gateway-conformance-infra}]
              rules: [{backendRefs: [{name: web-backend, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: from-app, namespace: gateway-conformance-app-backend}
            spec:
              parentRefs: [{name: selective, namespace: gateway-conformance-infra, sectionName: selected}]
              rules: [{backendRefs: [{name: app-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: not-ours, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: nonexistent-gateway}]
              rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]
            """);
        Assert.Equal(
            [
                "httproute gateway-conformance-web-backend/invalid-cross-namespace-parent-ref -> gateway-conformance-infra/same-namespace: Accepted=False(NotAllowedByListeners: no listener of Gateway gateway-conformance-infra/same-namespace allows HTTPRoutes from namespace gateway-conformance-web-backend) ResolvedRefs=True",
                "httproute gateway-conformance-infra/section-name -> gateway-conformance-infra/same-namespace/nonexistent: Accepted=False(NoMatchingParent: Gateway gateway-conformance-infra/same-namespace has no listener with sectionName nonexistent) ResolvedRefs=True",
                "httproute gateway-conformance-infra/listener-port -> gateway-conformance-infra/same-namespace:81: Accepted=False(NoMatchingParent: Gateway gateway-conformance-infra/same-namespace has no listener with port 81) ResolvedRefs=True",
                "httproute gateway-conformance-web-backend/from-web -> gateway-conformance-infra/selective: Accepted=True ResolvedRefs=True",
                "httproute gateway-conformance-app-backend/from-app -> gateway-conformance-infra/selective/selected: Accepted=False(NotAllowedByListeners: no listener of Gateway gateway-conformance-infra/selective allows HTTPRoutes from namespace gateway-conformance-app-backend) ResolvedRefs=True",
            ],
            StatusLines(config, "httproute"));
        Assert.Equal(
            [
                "  listener all: attached=1 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)",
                "  listener selected: attached=1 kinds=HTTPRoute Accepted=True Programmed=True ResolvedRefs=True Conflicted=False(NoConflicts: no conflicts)",
            ],
            ListenerLines(config, "gateway-conformance-infra/selective"));
        Assert.Equal("web-backend", Send(config, "x", "/", port: 8082));
        Assert.Equal("404", Send(config, "x", "/", port: 80));
    }

    [Fact]
    public void Unsupported_filters_reject_the_route_and_generations_are_observed()
    {
        var config = Build("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: mirror, namespace: gateway-conformance-infra, generation: 3}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: infra-backend-v2, port: 8080}}}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
            """);
        Assert.Equal(["httproute gateway-conformance-infra/mirror -> gateway-conformance-infra/same-namespace: Accepted=False(UnsupportedValue: rule[0]: filter RequestMirror is not supported) ResolvedRefs=True"], StatusLines(config, "httproute"));
        Assert.All(config.Routes.Single().Parents.Single().Conditions, c => Assert.Equal(3, c.ObservedGeneration));
        Assert.Equal("404", Send(config, "x", "/"));
    }

    internal static (string Crt, string Key) SelfSigned(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem())), Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem())));
    }
}
