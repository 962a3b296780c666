using System.Net;

namespace Strata.Dns.Wire;

/// <summary>A question: a name in presentation form without the trailing dot ("" is the root), a type and a class.</summary>
public sealed record DnsQuestion(string Name, DnsType Type, DnsClass Class = DnsClass.IN);

/// <summary>A resource record; <see cref="Data"/> is typed for the types the server builds and raw for the rest.</summary>
public sealed record DnsRecord(string Name, DnsType Type, DnsClass Class, uint Ttl, RecordData Data)
{
    public static DnsRecord Address(string name, uint ttl, IPAddress address) =>
        new(name, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsType.AAAA : DnsType.A, DnsClass.IN, ttl, new AddressData(address));

    public DnsRecord WithTtl(uint ttl) => this with { Ttl = ttl };

    public override string ToString() => $"{Name}.\t{Ttl}\t{Class}\t{Type}\t{Data}";
}

/// <summary>RDATA.</summary>
public abstract record RecordData;

/// <summary>A or AAAA.</summary>
public sealed record AddressData(IPAddress Address) : RecordData
{
    public override string ToString() => Address.ToString();
}

/// <summary>A single domain name: CNAME, NS, PTR.</summary>
public sealed record NameData(string Target) : RecordData
{
    public override string ToString() => Target + ".";
}

public sealed record MxData(ushort Preference, string Exchange) : RecordData
{
    public override string ToString() => $"{Preference} {Exchange}.";
}

public sealed record SrvData(ushort Priority, ushort Weight, ushort Port, string Target) : RecordData
{
    public override string ToString() => $"{Priority} {Weight} {Port} {Target}.";
}

public sealed record SoaData(string MName, string RName, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : RecordData
{
    public override string ToString() => $"{MName}. {RName}. {Serial} {Refresh} {Retry} {Expire} {Minimum}";
}

public sealed record TxtData(IReadOnlyList<string> Strings) : RecordData
{
    public override string ToString() => string.Join(' ', Strings.Select(s => $"\"{s}\""));

    public bool Equals(TxtData? other) => other is not null && Strings.SequenceEqual(other.Strings);

    public override int GetHashCode() => Strings.Count;
}

/// <summary>RDATA of a type this codec does not interpret, kept byte for byte (RFC 3597).</summary>
public sealed record RawData(byte[] Bytes) : RecordData
{
    public override string ToString() => $"\\# {Bytes.Length} {Convert.ToHexString(Bytes)}";

    public bool Equals(RawData? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override int GetHashCode() => Bytes.Length;
}

/// <summary>The EDNS0 OPT pseudo-record (RFC 6891 6.1): the requester's UDP payload size, extended RCODE bits, version, DO.</summary>
public sealed record Edns(ushort UdpPayloadSize, byte ExtendedRcode = 0, byte Version = 0, bool DnssecOk = false, byte[]? Options = null);

/// <summary>The header flags (RFC 1035 4.1.1).</summary>
public readonly record struct DnsFlags(
    bool Response = false,
    DnsOpcode Opcode = DnsOpcode.Query,
    bool Authoritative = false,
    bool Truncated = false,
    bool RecursionDesired = false,
    bool RecursionAvailable = false,
    bool AuthenticData = false,
    bool CheckingDisabled = false);

/// <summary>A whole DNS message.</summary>
public sealed record DnsMessage
{
    public ushort Id { get; init; }

    public DnsFlags Flags { get; init; }

    /// <summary>The full RCODE: the header's 4 bits plus, with EDNS0, the OPT record's upper 8.</summary>
    public DnsRcode Rcode { get; init; }

    public IReadOnlyList<DnsQuestion> Questions { get; init; } = [];

    public IReadOnlyList<DnsRecord> Answers { get; init; } = [];

    public IReadOnlyList<DnsRecord> Authority { get; init; } = [];

    /// <summary>The additional section, without the OPT record (that is <see cref="Edns"/>).</summary>
    public IReadOnlyList<DnsRecord> Additional { get; init; } = [];

    public Edns? Edns { get; init; }

    public DnsQuestion? Question => Questions.Count > 0 ? Questions[0] : null;

    /// <summary>A query for one question, as a stub resolver sends it.</summary>
    public static DnsMessage Query(ushort id, string name, DnsType type, bool recursionDesired = true, Edns? edns = null) => new()
    {
        Id = id,
        Flags = new DnsFlags(RecursionDesired: recursionDesired),
        Questions = [new DnsQuestion(DnsName.Normalize(name), type)],
        Edns = edns,
    };

    /// <summary>The skeleton of the reply to <paramref name="request"/>: same id, question, RD and CD; QR set.</summary>
    public static DnsMessage ReplyTo(DnsMessage request, DnsRcode rcode) => new()
    {
        Id = request.Id,
        Flags = new DnsFlags(Response: true, Opcode: request.Flags.Opcode, RecursionDesired: request.Flags.RecursionDesired, RecursionAvailable: true, CheckingDisabled: request.Flags.CheckingDisabled),
        Rcode = rcode,
        Questions = request.Questions,
    };
}
