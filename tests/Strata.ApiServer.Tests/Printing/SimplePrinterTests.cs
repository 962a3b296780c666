namespace Strata.ApiServer.Tests.Printing;

/// <summary>
/// TestPrintNamespace, TestPrintSecret, TestPrintServiceAccount, TestPrintConfigMap, TestPrintLease,
/// TestPrintNetworkPolicy, TestPrintIngress and TestPrintIngressClass from printers_test.go.
/// </summary>
public class SimplePrinterTests
{
    [Theory]
    [InlineData("""{"metadata": {"name": "namespace1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "status": {"phase": "FooStatus"}}""", "namespace1", "FooStatus", "0s")]
    [InlineData("""{"metadata": {"name": "namespace2"}}""", "namespace2", "", "<unknown>")]
    public void Namespace(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("", "Namespace", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "secret1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "type": "kubernetes.io/service-account-token", "data": {"token": "c2VjcmV0IGRhdGE="}}""",
        "secret1", "kubernetes.io/service-account-token", 1L, "0s")]
    [InlineData("""{"metadata": {"name": "secret1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "type": "kubernetes.io/service-account-token"}""",
        "secret1", "kubernetes.io/service-account-token", 0L, "0s")]
    // stringData merges into data, as converting to the internal type does.
    [InlineData("""{"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "YQ==", "b": "Yg=="}, "stringData": {"b": "x", "c": "y"}}""",
        "s", "Opaque", 3L, "<unknown>")]
    public void Secret(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("", "Secret", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "sa1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "secrets": []}""", "sa1", 0L, "0s")]
    [InlineData("""{"metadata": {"name": "sa1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "secrets": [{"name": "Secret1"}, {"name": "Secret2"}]}""", "sa1", 2L, "0s")]
    public void ServiceAccount(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("", "ServiceAccount", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "configmap1", "creationTimestamp": "2025-01-15T12:00:01Z"}}""", "configmap1", 0L, "0s")]
    [InlineData("""{"metadata": {"name": "configmap2", "creationTimestamp": "2025-01-15T12:00:01Z"}, "data": {"foo": "bar"}}""", "configmap2", 1L, "0s")]
    [InlineData("""{"metadata": {"name": "configmap3", "creationTimestamp": "2025-01-15T12:00:01Z"}, "data": {"foo": "bar"}, "binaryData": {"bin": "YmluYXJ5IGRhdGE="}}""", "configmap3", 2L, "0s")]
    public void ConfigMap(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("", "ConfigMap", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "lease1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"holderIdentity": "holder1"}}""", "lease1", "holder1", "0s")]
    [InlineData("""{"metadata": {"name": "lease2", "creationTimestamp": "2025-01-15T11:55:00Z"}, "spec": {"holderIdentity": "holder2"}}""", "lease2", "holder2", "5m")]
    [InlineData("""{"metadata": {"name": "lease3"}, "spec": {}}""", "lease3", "", "<unknown>")]
    public void Lease(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("coordination.k8s.io", "Lease", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "policy1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {}}""", "policy1", "<none>", "0s")]
    [InlineData("""{"metadata": {"name": "policy2", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"podSelector": {"matchLabels": {"foo": "bar"}}}}""", "policy2", "foo=bar", "0s")]
    [InlineData("""{"metadata": {"name": "policy3"}, "spec": {"podSelector": {"matchLabels": {"role": "db", "app": "x"}}}}""", "policy3", "app=x,role=db", "<unknown>")]
    public void NetworkPolicy(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("networking.k8s.io", "NetworkPolicy", json));

    [Theory]
    [InlineData("""
        {"metadata": {"name": "test1", "creationTimestamp": "2015-01-15T12:00:00Z"}, "spec": {"ingressClassName": "foo",
                   "defaultBackend": {"service": {"name": "default-backend", "port": {"name": "default-backend", "number": 80}}}},
                   "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5", "hostname": "localhost.localdomain"}]}}}
        """,
        "test1", "foo", "*", "2.3.4.5", "80", "10y")]
    [InlineData("""
        {"metadata": {"name": "hosts"}, "spec": {"rules": [{"host": "a.example.com"}, {}, {"host": "b.example.com"}, {"host": "c.example.com"}, {"host": "d.example.com"}],
                   "tls": [{"hosts": ["a.example.com"]}]}}
        """,
        "hosts", "<none>", "a.example.com,b.example.com,c.example.com + 2 more...", "", "80, 443", "<unknown>")]
    public void Ingress(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("networking.k8s.io", "Ingress", json));

    [Theory]
    [InlineData("""{"metadata": {"name": "test1", "creationTimestamp": "2015-01-15T12:00:00Z"}, "spec": {"controller": "example.com/controller", "parameters": {"kind": "customgroup", "name": "example"}}}""",
        "test1", "example.com/controller", "customgroup/example", "10y")]
    [InlineData("""{"metadata": {"name": "test1", "creationTimestamp": "2015-01-15T12:00:00Z"}, "spec": {"controller": "example.com/controller", "parameters": {"apiGroup": "example.com", "kind": "customgroup", "name": "example"}}}""",
        "test1", "example.com/controller", "customgroup.example.com/example", "10y")]
    [InlineData("""{"metadata": {"name": "test2", "creationTimestamp": "2014-01-15T12:00:00Z"}, "spec": {"controller": "example.com/controller2"}}""",
        "test2", "example.com/controller2", "<none>", "11y")]
    public void IngressClass(string json, params object[] expected) => Assert.Equal(expected, Rows.Wide("networking.k8s.io", "IngressClass", json));
}
