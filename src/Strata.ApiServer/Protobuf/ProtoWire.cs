using System.Buffers;
using System.Buffers.Binary;

namespace Strata.ApiServer.Protobuf;

/// <summary>Protocol buffers wire types (encoding.md, "Message Structure").</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>Reads one message's fields off the wire, front to back. Never allocates.</summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool End => _position >= _data.Length;

    public readonly int Position => _position;

    /// <summary>Reads a field key; returns the field number and its wire type.</summary>
    public (int Number, WireType Type) ReadTag()
    {
        var key = ReadVarint();
        var number = key >> 3;
        if (number is 0 or > 536_870_911)
        {
            throw new KubeProtobufException($"invalid field number {number} at offset {_position}");
        }
        return ((int)number, (WireType)(key & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new KubeProtobufException("unexpected end of data inside a varint");
            }
            var b = _data[_position++];
            if (shift == 63 && b > 1)
            {
                throw new KubeProtobufException("varint overflows 64 bits");
            }
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw new KubeProtobufException("varint overflows 64 bits");
    }

    public ulong ReadFixed64()
    {
        var v = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        return v;
    }

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads a length-delimited payload and returns its offset and length in the buffer.</summary>
    public (int Offset, int Length) ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new KubeProtobufException($"length {length} at offset {_position} runs past the end of the data");
        }
        var offset = _position;
        _position += (int)length;
        return (offset, (int)length);
    }

    /// <summary>Skips the value of a field this reader does not know, as Go's skipGenerated does.</summary>
    public void Skip(WireType type, int number)
    {
        switch (type)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Take(8);
                break;
            case WireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                Take(4);
                break;
            case WireType.StartGroup:
                while (true)
                {
                    var (inner, innerType) = ReadTag();
                    if (innerType == WireType.EndGroup)
                    {
                        if (inner != number)
                        {
                            throw new KubeProtobufException("mismatched end group");
                        }
                        return;
                    }
                    Skip(innerType, inner);
                }
            default:
                throw new KubeProtobufException($"unexpected wire type {(int)type} for field {number}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_data.Length - _position < count)
        {
            throw new KubeProtobufException("unexpected end of data");
        }
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>Appends fields to a growing buffer. Nested messages are encoded into their own writer first.</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void WriteTag(int number, WireType type) => WriteVarint(((ulong)(uint)number << 3) | (uint)type);

    public void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    public void WriteFixed64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteFixed32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteBytes(int number, ReadOnlySpan<byte> value)
    {
        WriteTag(number, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void WriteRaw(ReadOnlySpan<byte> value) => _buffer.Write(value);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
