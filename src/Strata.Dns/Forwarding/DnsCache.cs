using System.Collections.Concurrent;
using Strata.Dns.Wire;

namespace Strata.Dns.Forwarding;

/// <summary>
/// Upstream answers by question (CoreDNS plugin/cache): positive answers for the smallest TTL of their records,
/// NXDOMAIN and NODATA for the SOA's negative TTL (RFC 2308 5: min of the SOA's TTL and MINIMUM), each capped.
/// A negative answer without an SOA is not cached (RFC 2308 5), nor is SERVFAIL or a truncated answer. Hits come
/// back with their TTLs counted down.
/// </summary>
public sealed class DnsCache(int capacity = 10000, TimeProvider? time = null)
{
    public static readonly TimeSpan MaxPositiveTtl = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxNegativeTtl = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<(string Name, DnsType Type, DnsClass Class), Entry> _entries = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int Count => _entries.Count;

    public void Clear() => _entries.Clear();

    public bool TryGet(DnsQuestion question, out DnsMessage response)
    {
        response = null!;
        var key = Key(question);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        var elapsed = (uint)Math.Min(uint.MaxValue, Math.Floor((_time.GetUtcNow() - entry.Stored).TotalSeconds));
        if (elapsed >= entry.Ttl)
        {
            _entries.TryRemove(new KeyValuePair<(string, DnsType, DnsClass), Entry>(key, entry));
            return false;
        }

        response = entry.Response with
        {
            Answers = Age(entry.Response.Answers, elapsed),
            Authority = Age(entry.Response.Authority, elapsed),
            Additional = Age(entry.Response.Additional, elapsed),
        };
        return true;
    }

    public void Put(DnsQuestion question, DnsMessage response)
    {
        if (response.Flags.Truncated || Ttl(response) is not { } ttl || ttl == 0)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            // Full: drop some entry (CoreDNS's cache evicts a random one from a shard too).
            foreach (var key in _entries.Keys.Take(Math.Max(1, capacity / 100)))
            {
                _entries.TryRemove(key, out _);
            }
        }

        _entries[Key(question)] = new Entry(response, _time.GetUtcNow(), ttl);
    }

    /// <summary>How long <paramref name="response"/> may be cached, or null when it may not be.</summary>
    public static uint? Ttl(DnsMessage response)
    {
        if (response.Rcode == DnsRcode.NoError && response.Answers.Count > 0)
        {
            var records = response.Answers.Concat(response.Authority);
            return Math.Min(records.Min(r => r.Ttl), (uint)MaxPositiveTtl.TotalSeconds);
        }

        if (response.Rcode is DnsRcode.NoError or DnsRcode.NXDomain
            && response.Authority.FirstOrDefault(r => r.Type == DnsType.SOA) is { Data: SoaData soa } soaRecord)
        {
            return Math.Min(Math.Min(soaRecord.Ttl, soa.Minimum), (uint)MaxNegativeTtl.TotalSeconds);
        }

        return null;
    }

    private static (string, DnsType, DnsClass) Key(DnsQuestion q) => (DnsName.ToLower(q.Name), q.Type, q.Class);

    private static DnsRecord[] Age(IReadOnlyList<DnsRecord> records, uint elapsed) =>
        [.. records.Select(r => r.WithTtl(r.Ttl > elapsed ? r.Ttl - elapsed : 0))];

    private sealed record Entry(DnsMessage Response, DateTimeOffset Stored, uint Ttl);
}
