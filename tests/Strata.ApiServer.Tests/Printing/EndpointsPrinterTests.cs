namespace Strata.ApiServer.Tests.Printing;

/// <summary>TestPrintEndpoint and TestPrintEndpointSlice from printers_test.go.</summary>
public class EndpointsPrinterTests
{
    [Theory]
    [InlineData("""{"metadata": {"name": "endpoint1", "creationTimestamp": "2025-01-15T12:00:01Z"}}""", "endpoint1", "<none>", "0s")]
    [InlineData("""{"metadata": {"name": "endpoint3", "creationTimestamp": "2025-01-15T11:55:00Z"}, "subsets": [{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}]}]}""",
        "endpoint3", "1.2.3.4,5.6.7.8", "5m")]
    [InlineData("""{"metadata": {"name": "endpoint2", "creationTimestamp": "2025-01-15T12:00:01Z"}, "subsets": [{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}], "ports": [{"port": 8001, "protocol": "tcp"}]}]}""",
        "endpoint2", "1.2.3.4:8001,5.6.7.8:8001", "0s")]
    [InlineData("""{"metadata": {"name": "endpoint2", "creationTimestamp": "2025-01-15T12:00:01Z"}, "subsets": [{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}, {"ip": "9.8.7.6"}, {"ip": "6.6.6.6"}], "ports": [{"port": 8001, "protocol": "tcp"}]}]}""",
        "endpoint2", "1.2.3.4:8001,5.6.7.8:8001,9.8.7.6:8001 + 1 more...", "0s")]
    // Every port of every subset counts; IPv6 addresses are bracketed as net.JoinHostPort does.
    [InlineData("""
        {"metadata": {"name": "dual"}, "subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]},
                   {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 8080}]}]}
        """,
        "dual", "[fd00::1]:80,[fd00::1]:443,10.0.0.1:8080 + 1 more...", "<unknown>")]
    // Subsets without ready addresses print nothing, not <none>.
    [InlineData("""{"metadata": {"name": "notready"}, "subsets": [{"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}""",
        "notready", "", "<unknown>")]
    public void EndpointsRowsMatchPrintEndpoints(string json, params object[] expected) =>
        Assert.Equal(expected, Rows.Wide("", "Endpoints", json));

    [Theory]
    [InlineData("""
        {"metadata": {"name": "abcslice.123", "creationTimestamp": "2025-01-15T12:00:01Z"}, "addressType": "IPv4",
                   "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}]}
        """,
        "abcslice.123", "IPv4", "80", "10.1.2.3,2001:db8::1234:5678", "0s")]
    [InlineData("""
        {"metadata": {"name": "longerslicename.123", "creationTimestamp": "2025-01-15T11:55:00Z"}, "addressType": "IPv6",
                   "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "https", "port": 443, "protocol": "TCP"}],
                   "endpoints": [{"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}, {"addresses": ["10.2.3.4", "2001:db8::2345:6789"]}]}
        """,
        "longerslicename.123", "IPv6", "80,443", "10.1.2.3,2001:db8::1234:5678,10.2.3.4 + 1 more...", "5m")]
    [InlineData("""
        {"metadata": {"name": "multiportslice.123", "creationTimestamp": "2025-01-15T11:55:00Z"}, "addressType": "IPv4",
                   "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "https", "port": 443, "protocol": "TCP"},
                             {"name": "extra1", "port": 3000, "protocol": "TCP"}, {"name": "extra2", "port": 3001, "protocol": "TCP"}],
                   "endpoints": [{"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}, {"addresses": ["10.2.3.4", "2001:db8::2345:6789"]}]}
        """,
        "multiportslice.123", "IPv4", "80,443,3000 + 1 more...", "10.1.2.3,2001:db8::1234:5678,10.2.3.4 + 1 more...", "5m")]
    // A port without a number shows its name, or *; no ports or endpoints show <unset>.
    [InlineData("""{"metadata": {"name": "named"}, "addressType": "IPv4", "ports": [{"name": "http"}, {}]}""",
        "named", "IPv4", "http,*", "<unset>", "<unknown>")]
    [InlineData("""{"metadata": {"name": "empty"}, "addressType": "FQDN"}""",
        "empty", "FQDN", "<unset>", "<unset>", "<unknown>")]
    public void EndpointSliceRowsMatchPrintEndpointSlice(string json, params object[] expected) =>
        Assert.Equal(expected, Rows.Wide("discovery.k8s.io", "EndpointSlice", json));
}
