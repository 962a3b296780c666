namespace Strata.Dns.Wire;

/// <summary>A message that does not parse (RFC 1035 FORMERR), with where in the message it went wrong.</summary>
public sealed class DnsFormatException(string message) : Exception(message);
