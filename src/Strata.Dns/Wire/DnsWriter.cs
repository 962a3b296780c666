using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Strata.Dns.Wire;

/// <summary>
/// Encodes messages with name compression (RFC 1035 4.1.4) into at most a given number of bytes. A message that does
/// not fit keeps its question, its OPT record and as many whole answer records as fit, and gets the TC bit
/// (RFC 2181 9, RFC 6891 7): the client then asks again over TCP.
/// </summary>
public static class DnsWriter
{
    public const int MaxUdpWithoutEdns = 512;
    public const int MaxMessage = 65535;

    public static byte[] Write(DnsMessage message, int maxSize = MaxMessage)
    {
        var writer = new Builder(Math.Min(maxSize, MaxMessage));
        var optLength = message.Edns is { } e ? 11 + (e.Options?.Length ?? 0) : 0;
        writer.Header(message, message.Flags.Truncated);
        foreach (var q in message.Questions)
        {
            writer.Name(q.Name);
            writer.U16((ushort)q.Type);
            writer.U16((ushort)q.Class);
        }

        if (writer.Length + optLength > writer.Limit)
        {
            throw new DnsFormatException($"the question alone does not fit in {writer.Limit} bytes");
        }

        int[] counts = [0, 0, 0];
        var truncated = false;
        var sections = new[] { message.Answers, message.Authority, message.Additional };
        for (var s = 0; s < 3 && !truncated; s++)
        {
            foreach (var record in sections[s])
            {
                var mark = writer.Mark();
                writer.Record(record);
                if (writer.Length + optLength > writer.Limit)
                {
                    writer.Reset(mark);
                    // Only a missing answer or authority record matters to the client; a dropped additional record
                    // does not set TC (RFC 2181 9).
                    truncated = s < 2;
                    break;
                }

                counts[s]++;
            }

            if (counts[s] < sections[s].Count)
            {
                break;
            }
        }

        if (message.Edns is { } edns)
        {
            writer.Opt(edns, (int)message.Rcode >> 4);
        }

        writer.PatchCounts(message.Questions.Count, counts[0], counts[1], counts[2] + (message.Edns is null ? 0 : 1));
        if (truncated)
        {
            writer.PatchTruncated();
        }

        return writer.ToArray();
    }

    private sealed class Builder(int limit)
    {
        private byte[] _buffer = new byte[Math.Min(limit, 4096) + 512];
        private readonly Dictionary<string, int> _names = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _namesAdded = [];

        public int Length { get; private set; }

        public int Limit => limit;

        public (int Length, int Names) Mark() => (Length, _namesAdded.Count);

        public void Reset((int Length, int Names) mark)
        {
            Length = mark.Length;
            for (var i = mark.Names; i < _namesAdded.Count; i++)
            {
                _names.Remove(_namesAdded[i]);
            }

            _namesAdded.RemoveRange(mark.Names, _namesAdded.Count - mark.Names);
        }

        public void Header(DnsMessage m, bool truncated)
        {
            U16(m.Id);
            var f = m.Flags;
            var flags = (f.Response ? 0x8000 : 0) | (((int)f.Opcode & 0xF) << 11) | (f.Authoritative ? 0x0400 : 0)
                | (truncated ? 0x0200 : 0) | (f.RecursionDesired ? 0x0100 : 0) | (f.RecursionAvailable ? 0x0080 : 0)
                | (f.AuthenticData ? 0x0020 : 0) | (f.CheckingDisabled ? 0x0010 : 0) | ((int)m.Rcode & 0xF);
            U16((ushort)flags);
            U16(0);
            U16(0);
            U16(0);
            U16(0);
        }

        public void PatchCounts(int qd, int an, int ns, int ar)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(4), (ushort)qd);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(6), (ushort)an);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(8), (ushort)ns);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(10), (ushort)ar);
        }

        public void PatchTruncated() => _buffer[2] |= 0x02;

        public void Record(DnsRecord r)
        {
            Name(r.Name);
            U16((ushort)r.Type);
            U16((ushort)r.Class);
            U32(r.Ttl);
            var lengthAt = Length;
            U16(0);
            switch (r.Data)
            {
                case AddressData a:
                    Ensure(16);
                    a.Address.TryWriteBytes(_buffer.AsSpan(Length), out var written);
                    if (written != (a.Address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16))
                    {
                        throw new InvalidOperationException($"address {a.Address} is not IPv4 or IPv6");
                    }

                    Length += written;
                    break;
                case NameData n:
                    Name(n.Target);
                    break;
                case MxData mx:
                    U16(mx.Preference);
                    Name(mx.Exchange);
                    break;
                case SrvData srv:
                    U16(srv.Priority);
                    U16(srv.Weight);
                    U16(srv.Port);
                    // RFC 2782: the target is not compressed.
                    Name(srv.Target, compress: false);
                    break;
                case SoaData soa:
                    Name(soa.MName);
                    Name(soa.RName);
                    U32(soa.Serial);
                    U32(soa.Refresh);
                    U32(soa.Retry);
                    U32(soa.Expire);
                    U32(soa.Minimum);
                    break;
                case TxtData txt:
                    foreach (var s in txt.Strings)
                    {
                        var bytes = Encoding.Latin1.GetBytes(s);
                        if (bytes.Length > 255)
                        {
                            throw new InvalidOperationException($"TXT string of {bytes.Length} bytes; at most 255");
                        }

                        Ensure(bytes.Length + 1);
                        _buffer[Length++] = (byte)bytes.Length;
                        bytes.CopyTo(_buffer, Length);
                        Length += bytes.Length;
                    }

                    break;
                case RawData raw:
                    Ensure(raw.Bytes.Length);
                    raw.Bytes.CopyTo(_buffer, Length);
                    Length += raw.Bytes.Length;
                    break;
                default:
                    throw new InvalidOperationException($"no encoding for {r.Data.GetType().Name}");
            }

            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), (ushort)(Length - lengthAt - 2));
        }

        public void Opt(Edns edns, int extendedRcode)
        {
            Ensure(11 + (edns.Options?.Length ?? 0));
            _buffer[Length++] = 0;
            U16((ushort)DnsType.OPT);
            U16(edns.UdpPayloadSize);
            U32(((uint)(extendedRcode & 0xFF) << 24) | ((uint)edns.Version << 16) | (edns.DnssecOk ? 0x8000u : 0));
            var options = edns.Options ?? [];
            U16((ushort)options.Length);
            options.CopyTo(_buffer, Length);
            Length += options.Length;
        }

        public void Name(string name, bool compress = true)
        {
            var labels = DnsName.Labels(DnsName.Normalize(name));
            var total = 1;
            for (var i = 0; i < labels.Count; i++)
            {
                var suffix = i == 0 ? name : string.Join('.', labels.Skip(i));
                if (compress && _names.TryGetValue(suffix, out var pointer))
                {
                    U16((ushort)(0xC000 | pointer));
                    return;
                }

                if (Length < 0x3FFF && !_names.ContainsKey(suffix))
                {
                    _names[suffix] = Length;
                    _namesAdded.Add(suffix);
                }

                var bytes = DnsName.LabelBytes(labels[i]);
                total += bytes.Length + 1;
                if (total > DnsName.MaxWireLength)
                {
                    throw new DnsFormatException($"name \"{name}\" is longer than {DnsName.MaxWireLength} bytes");
                }

                Ensure(bytes.Length + 1);
                _buffer[Length++] = (byte)bytes.Length;
                bytes.CopyTo(_buffer, Length);
                Length += bytes.Length;
            }

            Ensure(1);
            _buffer[Length++] = 0;
        }

        public void U16(ushort value)
        {
            Ensure(2);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(Length), value);
            Length += 2;
        }

        public void U32(uint value)
        {
            Ensure(4);
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(Length), value);
            Length += 4;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

        private void Ensure(int more)
        {
            if (Length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + more));
            }
        }
    }
}
