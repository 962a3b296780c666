using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Strata.Dns.Wire;

/// <summary>
/// Parses RFC 1035 messages. Every malformed input throws <see cref="DnsFormatException"/> naming the offset: a
/// truncated section, a count larger than the message can hold, a compression pointer that does not point strictly
/// backwards (so no loop can be built), a name over 255 bytes, reserved label types, a second OPT record.
/// </summary>
public static class DnsReader
{
    public const int HeaderLength = 12;

    /// <summary>The id and flags of whatever 12 bytes begin the message, or null when there are fewer.</summary>
    public static (ushort Id, DnsFlags Flags)? PeekHeader(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
        {
            return null;
        }

        return (BinaryPrimitives.ReadUInt16BigEndian(message), ReadFlags(BinaryPrimitives.ReadUInt16BigEndian(message[2..])));
    }

    public static DnsMessage Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
        {
            throw new DnsFormatException($"message is {message.Length} bytes, shorter than the {HeaderLength}-byte header");
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var rawFlags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int ns = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int ar = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);

        // A question takes at least 5 bytes and a record at least 11: refuse counts the message cannot hold before
        // allocating anything for them.
        if (HeaderLength + (qd * 5) + ((an + ns + ar) * 11) > message.Length)
        {
            throw new DnsFormatException($"counts (qd={qd} an={an} ns={ns} ar={ar}) do not fit in a {message.Length}-byte message");
        }

        var offset = HeaderLength;
        var questions = new List<DnsQuestion>(qd);
        for (var i = 0; i < qd; i++)
        {
            var name = ReadName(message, ref offset);
            Need(message, offset, 4, "question");
            var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var cls = (DnsClass)BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            offset += 4;
            questions.Add(new DnsQuestion(name, type, cls));
        }

        var answers = ReadRecords(message, ref offset, an, out _);
        var authority = ReadRecords(message, ref offset, ns, out _);
        var additional = ReadRecords(message, ref offset, ar, out var edns);
        if (offset != message.Length)
        {
            throw new DnsFormatException($"{message.Length - offset} bytes follow the last record at offset {offset}");
        }

        var rcode = (DnsRcode)((rawFlags & 0xF) | ((edns?.ExtendedRcode ?? 0) << 4));
        return new DnsMessage
        {
            Id = id,
            Flags = ReadFlags(rawFlags),
            Rcode = rcode,
            Questions = questions,
            Answers = answers,
            Authority = authority,
            Additional = additional,
            Edns = edns,
        };
    }

    private static DnsFlags ReadFlags(ushort f) => new(
        Response: (f & 0x8000) != 0,
        Opcode: (DnsOpcode)((f >> 11) & 0xF),
        Authoritative: (f & 0x0400) != 0,
        Truncated: (f & 0x0200) != 0,
        RecursionDesired: (f & 0x0100) != 0,
        RecursionAvailable: (f & 0x0080) != 0,
        AuthenticData: (f & 0x0020) != 0,
        CheckingDisabled: (f & 0x0010) != 0);

    private static List<DnsRecord> ReadRecords(ReadOnlySpan<byte> message, ref int offset, int count, out Edns? edns)
    {
        edns = null;
        var records = new List<DnsRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var start = offset;
            var name = ReadName(message, ref offset);
            Need(message, offset, 10, "record header");
            var type = (DnsType)BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            Need(message, offset, length, $"RDATA of a {type} record");
            var rdataEnd = offset + length;
            if (type == DnsType.OPT)
            {
                if (edns is not null)
                {
                    throw new DnsFormatException($"a second OPT record at offset {start}");
                }

                if (name.Length != 0)
                {
                    throw new DnsFormatException($"the OPT record at offset {start} is not owned by the root");
                }

                edns = new Edns(cls, (byte)(ttl >> 24), (byte)(ttl >> 16), (ttl & 0x8000) != 0, message.Slice(offset, length).ToArray());
                offset = rdataEnd;
                continue;
            }

            var data = ReadData(message, offset, rdataEnd, type);
            offset = rdataEnd;
            records.Add(new DnsRecord(name, type, (DnsClass)cls, ttl, data));
        }

        return records;
    }

    private static RecordData ReadData(ReadOnlySpan<byte> message, int offset, int end, DnsType type)
    {
        var length = end - offset;
        var at = offset;
        RecordData data;
        switch (type)
        {
            case DnsType.A when length == 4:
            case DnsType.AAAA when length == 16:
                return new AddressData(new IPAddress(message.Slice(offset, length)));
            case DnsType.A:
            case DnsType.AAAA:
                throw new DnsFormatException($"{type} RDATA at offset {offset} is {length} bytes");
            case DnsType.CNAME or DnsType.NS or DnsType.PTR:
                data = new NameData(ReadName(message, ref at));
                break;
            case DnsType.MX:
                Need(message, at, 2, "MX preference");
                var preference = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
                at += 2;
                data = new MxData(preference, ReadName(message, ref at));
                break;
            case DnsType.SRV:
                Need(message, at, 6, "SRV fields");
                var priority = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
                var weight = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
                var port = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 4)..]);
                at += 6;
                data = new SrvData(priority, weight, port, ReadName(message, ref at));
                break;
            case DnsType.SOA:
                var mname = ReadName(message, ref at);
                var rname = ReadName(message, ref at);
                Need(message, at, 20, "SOA fields");
                data = new SoaData(mname, rname,
                    BinaryPrimitives.ReadUInt32BigEndian(message[at..]),
                    BinaryPrimitives.ReadUInt32BigEndian(message[(at + 4)..]),
                    BinaryPrimitives.ReadUInt32BigEndian(message[(at + 8)..]),
                    BinaryPrimitives.ReadUInt32BigEndian(message[(at + 12)..]),
                    BinaryPrimitives.ReadUInt32BigEndian(message[(at + 16)..]));
                at += 20;
                break;
            case DnsType.TXT:
                var strings = new List<string>();
                while (at < end)
                {
                    int n = message[at++];
                    if (at + n > end)
                    {
                        throw new DnsFormatException($"TXT string at offset {at - 1} runs past its RDATA");
                    }

                    strings.Add(Encoding.Latin1.GetString(message.Slice(at, n)));
                    at += n;
                }

                return new TxtData(strings);
            default:
                return new RawData(message.Slice(offset, length).ToArray());
        }

        if (at != end)
        {
            throw new DnsFormatException($"{type} RDATA at offset {offset} is {length} bytes but its fields take {at - offset}");
        }

        return data;
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 4.1.4); <paramref name="offset"/> ends after its first pointer or root label.</summary>
    public static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var wireLength = 1;
        var at = offset;
        var jumped = false;
        // Every pointer must go strictly backwards from the lowest position reached so far, so that a chain of
        // pointers always ends: a loop would need a pointer forwards.
        var lowest = offset;
        while (true)
        {
            Need(message, at, 1, "name");
            int len = message[at];
            if ((len & 0xC0) == 0xC0)
            {
                Need(message, at, 2, "compression pointer");
                var target = ((len & 0x3F) << 8) | message[at + 1];
                if (target >= lowest)
                {
                    throw new DnsFormatException($"compression pointer at offset {at} points to {target}, not before {lowest}");
                }

                if (!jumped)
                {
                    offset = at + 2;
                    jumped = true;
                }

                lowest = target;
                at = target;
                continue;
            }

            if ((len & 0xC0) != 0)
            {
                throw new DnsFormatException($"reserved label type 0x{len & 0xC0:x2} at offset {at}");
            }

            if (len == 0)
            {
                if (!jumped)
                {
                    offset = at + 1;
                }

                return name.ToString();
            }

            Need(message, at + 1, len, "label");
            wireLength += len + 1;
            if (wireLength > DnsName.MaxWireLength)
            {
                throw new DnsFormatException($"name at offset {offset} is longer than {DnsName.MaxWireLength} bytes");
            }

            DnsName.AppendLabel(name, message.Slice(at + 1, len));
            at += len + 1;
        }
    }

    private static void Need(ReadOnlySpan<byte> message, int offset, int count, string what)
    {
        if (offset + count > message.Length)
        {
            throw new DnsFormatException($"{what} at offset {offset} needs {count} bytes; the message ends at {message.Length}");
        }
    }
}
