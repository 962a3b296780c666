using Strata.Dns.Wire;

namespace Strata.Dns.Resolution;

/// <summary>
/// What the cluster resolver decided for one question. <see cref="Forward"/>: the name is not the cluster's, ask the
/// upstream resolvers. <see cref="ChaseName"/>: an ExternalName's CNAME points outside the zone, so the server
/// appends what the upstream resolvers say for that name.
/// </summary>
public sealed record Resolution(
    DnsRcode Rcode,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authority,
    IReadOnlyList<DnsRecord> Additional,
    bool Authoritative = true,
    string? ChaseName = null,
    bool Forward = false)
{
    public static Resolution Forwarded { get; } = new(DnsRcode.NoError, [], [], [], Authoritative: false, Forward: true);
}
