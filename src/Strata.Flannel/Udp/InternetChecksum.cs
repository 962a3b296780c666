using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Strata.Flannel.Udp;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement sum of 16-bit big-endian words. Sums are accumulated
/// unfolded in a ulong and folded once at the end; a span is summed eight bytes at a time (the ones' complement sum
/// does not depend on byte order, RFC 1071 §2(B), so the words are added in host order and swapped once).
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to an unfolded sum. An odd length is padded with a zero byte.</summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum)
    {
        ulong wide = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            // 32 bytes a step: eight 32-bit words widened into four 64-bit lanes, which cannot overflow below 2^32 steps.
            var lanes = Vector256<ulong>.Zero;
            for (; i + 32 <= data.Length; i += 32)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create<uint>(MemoryMarshal.Cast<byte, uint>(data.Slice(i, 32))));
                lanes += lower + upper;
            }

            wide = Vector256.Sum(lanes); // at most 2^33 per step and lane: no overflow for any span
        }

        var words = MemoryMarshal.Cast<byte, uint>(data[i..]);
        foreach (uint word in words)
        {
            wide += word; // 32-bit words into 64 bits: cannot overflow below 2^32 words
        }

        i += words.Length * 4;
        if (data.Length - i >= 2)
        {
            wide += MemoryMarshal.Read<ushort>(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            // The odd byte is the high half of a big-endian word, i.e. the low byte of a little-endian one.
            wide += BitConverter.IsLittleEndian ? data[i] : (ulong)data[i] << 8;
        }

        ushort folded = Fold(wide);
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    /// <summary>Folds an unfolded sum to 16 bits (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xffffffff) + (sum >> 32);
        sum = (sum & 0xffffffff) + (sum >> 32);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The IPv4 pseudo-header (RFC 793 §3.1): source, destination, protocol and the transport length.</summary>
    public static ulong PseudoHeader(ReadOnlySpan<byte> ipv4Header, byte protocol, int transportLength) =>
        Add(ipv4Header.Slice(12, 8), (ulong)protocol + (uint)transportLength);

    /// <summary>The header checksum of an IPv4 header, written into it (bytes 10-11).</summary>
    public static void SetIpv4HeaderChecksum(Span<byte> header)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)~Fold(Add(header, 0)));
    }
}
