using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink.Protocol;

/// <summary>
/// Builds netlink messages in a caller-supplied buffer. Lengths of messages and of nested
/// attributes are patched when they close, and everything is aligned to NLMSG_ALIGNTO /
/// NLA_ALIGNTO (4 bytes), as in linux/netlink.h. Several messages may be written back to back
/// and sent in one datagram.
/// </summary>
internal ref struct NetlinkWriter
{
    internal const int Alignment = 4;
    private static readonly int s_headerSize = Unsafe.SizeOf<Interop.nlmsghdr>();

    private readonly Span<byte> _buffer;
    private int _position;
    private int _messageStart;

    public NetlinkWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _messageStart = -1;
    }

    public readonly int Length => _position;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    internal static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    public void BeginMessage(ushort type, ushort flags, uint sequence)
    {
        if (_messageStart >= 0)
        {
            throw new InvalidOperationException("the previous netlink message was not ended");
        }

        _messageStart = _position;
        var header = new Interop.nlmsghdr { nlmsg_type = type, nlmsg_flags = flags, nlmsg_seq = sequence };
        WriteStruct(header);
    }

    public void EndMessage()
    {
        if (_messageStart < 0)
        {
            throw new InvalidOperationException("no netlink message is open");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(_buffer[_messageStart..], (uint)(_position - _messageStart));
        _messageStart = -1;
    }

    /// <summary>Writes a fixed family header (ifinfomsg, rtmsg, ...), padded to 4 bytes.</summary>
    public void WriteStruct<T>(in T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        var destination = Reserve(Align(size));
        MemoryMarshal.Write(destination, in value);
        destination[size..].Clear();
    }

    public void PutBytes(ushort type, scoped ReadOnlySpan<byte> value)
    {
        int length = 4 + value.Length;
        var destination = Reserve(Align(length));
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], type);
        value.CopyTo(destination[4..]);
        destination[length..].Clear();
    }

    public void PutU8(ushort type, byte value) => PutBytes(type, [value]);

    public void PutU16(ushort type, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        PutBytes(type, data);
    }

    /// <summary>A 16-bit value in network byte order (ports).</summary>
    public void PutBe16(ushort type, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(data, value);
        PutBytes(type, data);
    }

    public void PutU32(ushort type, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        PutBytes(type, data);
    }

    public void PutS32(ushort type, int value) => PutU32(type, unchecked((uint)value));

    /// <summary>A NUL-terminated string, as the kernel expects for names and kinds.</summary>
    public void PutString(ushort type, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> data = count < 256 ? stackalloc byte[count + 1] : new byte[count + 1];
        Encoding.UTF8.GetBytes(value, data);
        data[count] = 0;
        PutBytes(type, data);
    }

    public void PutAddress(ushort type, IPAddress address)
    {
        Span<byte> data = stackalloc byte[16];
        if (!address.TryWriteBytes(data, out int written))
        {
            throw new ArgumentException($"cannot encode address {address}", nameof(address));
        }

        PutBytes(type, data[..written]);
    }

    /// <summary>Opens a nested attribute; pass the returned token to <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _position;
        var destination = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)(type | NLA_F_NESTED));
        return start;
    }

    public void EndNested(int token)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[token..], (ushort)(_position - token));
    }

    private Span<byte> Reserve(int count)
    {
        if (_position + count > _buffer.Length)
        {
            throw new InvalidOperationException($"netlink message larger than its {_buffer.Length}-byte buffer");
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    internal static int HeaderSize => s_headerSize;
}
