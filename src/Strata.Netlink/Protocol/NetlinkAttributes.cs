using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink.Protocol;

/// <summary>One netlink attribute: its type (with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off) and payload.</summary>
internal readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort type, ReadOnlySpan<byte> data)
    {
        Type = type;
        Data = data;
    }

    public ushort Type { get; }

    public ReadOnlySpan<byte> Data { get; }

    public byte U8 => Data[0];

    public ushort U16 => BinaryPrimitives.ReadUInt16LittleEndian(Data);

    public ushort Be16 => BinaryPrimitives.ReadUInt16BigEndian(Data);

    public uint U32 => BinaryPrimitives.ReadUInt32LittleEndian(Data);

    public int S32 => BinaryPrimitives.ReadInt32LittleEndian(Data);

    public string String
    {
        get
        {
            var data = Data;
            int nul = data.IndexOf((byte)0);
            return Encoding.UTF8.GetString(nul >= 0 ? data[..nul] : data);
        }
    }

    public IPAddress Address => new(Data);

    public PhysicalAddress Mac => new(Data.ToArray());

    public NetlinkAttributeEnumerator Nested => new(Data);
}

/// <summary>Walks a run of attributes (struct nlattr), stopping at the first truncated one.</summary>
internal ref struct NetlinkAttributeEnumerator
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeEnumerator(ReadOnlySpan<byte> attributes)
    {
        _remaining = attributes;
        Current = default;
    }

    public NetlinkAttribute Current { get; private set; }

    public readonly NetlinkAttributeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_remaining.Length < 4)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(_remaining);
        ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_remaining[2..]) & NLA_TYPE_MASK);
        if (length < 4 || length > _remaining.Length)
        {
            _remaining = default;
            return false;
        }

        Current = new NetlinkAttribute(type, _remaining[4..length]);
        int advance = NetlinkWriter.Align(length);
        _remaining = advance >= _remaining.Length ? default : _remaining[advance..];
        return true;
    }
}

/// <summary>One message (struct nlmsghdr and payload) from a received datagram.</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(Interop.nlmsghdr header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    public Interop.nlmsghdr Header { get; }

    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>Walks the messages of one received datagram.</summary>
internal ref struct NetlinkMessageEnumerator
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkMessageEnumerator(ReadOnlySpan<byte> datagram)
    {
        _remaining = datagram;
        Current = default;
    }

    public NetlinkMessage Current { get; private set; }

    public readonly NetlinkMessageEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        int headerSize = NetlinkWriter.HeaderSize;
        if (_remaining.Length < headerSize)
        {
            return false;
        }

        var header = System.Runtime.InteropServices.MemoryMarshal.Read<Interop.nlmsghdr>(_remaining);
        int length = (int)header.nlmsg_len;
        if (length < headerSize || length > _remaining.Length)
        {
            _remaining = default;
            return false;
        }

        Current = new NetlinkMessage(header, _remaining[headerSize..length]);
        int advance = NetlinkWriter.Align(length);
        _remaining = advance >= _remaining.Length ? default : _remaining[advance..];
        return true;
    }
}
