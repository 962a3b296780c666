using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Strata.Proxy.Model;

/// <summary>
/// One endpoint of one Service port, as upstream's BaseEndpointInfo (pkg/proxy/endpoint.go), with the EndpointSlice
/// conditions the proxy acts on.
/// </summary>
public sealed record EndpointInfo(
    IPAddress Address,
    int Port,
    bool IsLocal,
    bool Ready,
    bool Serving,
    bool Terminating,
    IReadOnlySet<string>? ZoneHints = null)
{
    public string Ip => Address.ToString();

    /// <summary><c>ip:port</c> (<c>[ip]:port</c> for IPv6), the form the DNAT target, comments and hashes use.</summary>
    public override string ToString() => Address.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public bool Equals(EndpointInfo? other) =>
        other is not null && Address.Equals(other.Address) && Port == other.Port && IsLocal == other.IsLocal
        && Ready == other.Ready && Serving == other.Serving && Terminating == other.Terminating
        && SameHints(ZoneHints, other.ZoneHints);

    public override int GetHashCode() => HashCode.Combine(Address, Port, IsLocal, Ready, Serving, Terminating);

    private static bool SameHints(IReadOnlySet<string>? a, IReadOnlySet<string>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SetEquals(b);
}
