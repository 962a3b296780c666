namespace Strata.Dns.Wire;

/// <summary>RR TYPE values (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6891); other values pass through as numbers.</summary>
public enum DnsType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    OPT = 41,
    IXFR = 251,
    AXFR = 252,
    ANY = 255,
}

/// <summary>CLASS values (RFC 1035 3.2.4).</summary>
public enum DnsClass : ushort
{
    IN = 1,
    CH = 3,
    ANY = 255,
}

/// <summary>RCODE values (RFC 1035 4.1.1; BADVERS is RFC 6891's extended code, carried partly in the OPT record).</summary>
public enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NXDomain = 3,
    NotImp = 4,
    Refused = 5,
    BadVers = 16,
}

/// <summary>OPCODE values (RFC 1035 4.1.1).</summary>
public enum DnsOpcode
{
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}
