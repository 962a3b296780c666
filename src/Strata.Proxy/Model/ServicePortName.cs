namespace Strata.Proxy.Model;

/// <summary>
/// One port of one Service, as upstream's proxy.ServicePortName (pkg/proxy/types.go): its text form
/// <c>ns/name:port</c> (or <c>ns/name</c> for an unnamed port) is what the chain hashes and rule comments use.
/// </summary>
public sealed record ServicePortName(string Namespace, string Name, string Port, string Protocol) : IComparable<ServicePortName>
{
    public string ServiceKey => $"{Namespace}/{Name}";

    public override string ToString() => Port.Length == 0 ? ServiceKey : $"{ServiceKey}:{Port}";

    public int CompareTo(ServicePortName? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byName = string.CompareOrdinal(ToString(), other.ToString());
        return byName != 0 ? byName : string.CompareOrdinal(Protocol, other.Protocol);
    }

    public static bool operator <(ServicePortName left, ServicePortName right) => left.CompareTo(right) < 0;

    public static bool operator <=(ServicePortName left, ServicePortName right) => left.CompareTo(right) <= 0;

    public static bool operator >(ServicePortName left, ServicePortName right) => left.CompareTo(right) > 0;

    public static bool operator >=(ServicePortName left, ServicePortName right) => left.CompareTo(right) >= 0;
}
