using System.Runtime.InteropServices;
using Libc = Strata.Flannel.Interop.Libc;

namespace Strata.Flannel.Udp;

/// <summary>
/// The messages of one sendmmsg: each is one datagram, or with UDP GSO (a UDP_SEGMENT control message) a run of
/// equal-sized datagrams laid out back to back that the kernel cuts apart. The arrays are pinned and allocated once
/// per sending thread; adding and flushing allocate nothing.
/// </summary>
internal sealed unsafe class DatagramBatch
{
    /// <summary>UDP_MAX_SEGMENTS of older kernels (newer ones take 128).</summary>
    public const int MaxGsoSegments = 64;

    /// <summary>A GSO send is one UDP datagram before it is cut: its payload fits an IPv4 packet (65535 − 20 − 8).</summary>
    public const int MaxGsoBytes = 65507;

    private readonly Libc.MMsgHdr* _messages;
    private readonly Libc.IoVec* _iovecs;
    private readonly byte* _controls;
    private readonly int[] _datagrams;

    // The pinned arrays behind the pointers, referenced so that they live as long as this batch.
    private readonly Array[] _pinned;

    public DatagramBatch(int capacity)
    {
        Capacity = capacity;
        var messages = GC.AllocateArray<Libc.MMsgHdr>(capacity, pinned: true);
        var iovecs = GC.AllocateArray<Libc.IoVec>(capacity, pinned: true);
        var controls = GC.AllocateArray<byte>(capacity * Libc.CMsgSpace, pinned: true);
        _pinned = [messages, iovecs, controls];
        _messages = (Libc.MMsgHdr*)Pin(messages);
        _iovecs = (Libc.IoVec*)Pin(iovecs);
        _controls = (byte*)Pin(controls);
        _datagrams = new int[capacity];
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    /// <summary>False once a GSO send failed with EIO (the underlay device cannot checksum it): every datagram is then sent alone.</summary>
    public bool Gso { get; private set; } = true;

    public bool HasRoom(int messages) => Count + messages <= Capacity;

    /// <summary>
    /// Queues <paramref name="datagrams"/> datagrams stored back to back at <paramref name="data"/> for the peer at
    /// <paramref name="address"/> (a sockaddr_in that stays valid until the flush); all but the last are
    /// <paramref name="segmentLength"/> bytes. More than one needs <see cref="Gso"/>.
    /// </summary>
    public void Add(byte* data, int length, int segmentLength, int datagrams, byte* address)
    {
        int i = Count++;
        _iovecs[i] = new Libc.IoVec { Base = data, Length = (nuint)length };
        _messages[i] = new Libc.MMsgHdr { Name = address, NameLength = UdpPeerTable.SockaddrInLength, Iov = &_iovecs[i], IovLength = 1 };
        _datagrams[i] = datagrams;
        if (datagrams > 1)
        {
            var control = (Libc.CMsgHdr*)(_controls + (i * Libc.CMsgSpace));
            *control = new Libc.CMsgHdr { Length = Libc.CMsgLength(sizeof(ushort)), Level = Libc.SOL_UDP, Type = Libc.UDP_SEGMENT };
            *(ushort*)(control + 1) = (ushort)segmentLength;
            _messages[i].Control = control;
            _messages[i].ControlLength = Libc.CMsgSpace;
        }
    }

    /// <summary>
    /// Queues the segments of one cut super-packet (<paramref name="count"/> of <paramref name="segmentLength"/> bytes,
    /// <paramref name="length"/> in all), in GSO groups when <see cref="Gso"/> holds, else one message per segment.
    /// False when the batch has no room left for them (flush first).
    /// </summary>
    public bool AddSegments(byte* data, int length, int segmentLength, int count, byte* address)
    {
        int perGroup = Gso ? Math.Min(MaxGsoSegments, MaxGsoBytes / segmentLength) : 1;
        int groups = (count + perGroup - 1) / perGroup;
        if (!HasRoom(groups))
        {
            return false;
        }

        for (int start = 0; start < count; start += perGroup)
        {
            int n = Math.Min(perGroup, count - start);
            int bytes = start + n == count ? length - (start * segmentLength) : n * segmentLength;
            Add(data + (start * segmentLength), bytes, segmentLength, n, address);
        }

        return true;
    }

    /// <summary>Sends everything queued with sendmmsg; returns the datagrams sent and those lost to errors.</summary>
    public (long Sent, long Dropped) Flush(nint socket)
    {
        long sent = 0, dropped = 0;
        for (int i = 0; i < Count;)
        {
            int n = Libc.SendMMsg(socket, _messages + i, (uint)(Count - i), 0);
            if (n <= 0)
            {
                // The first message failed (EMSGSIZE, an unreachable peer...): lost, as on a wire.
                if (Marshal.GetLastPInvokeError() == Libc.EIO && _messages[i].Control != null)
                {
                    Gso = false;
                }

                dropped += _datagrams[i];
                i++;
                continue;
            }

            for (int k = i; k < i + n; k++)
            {
                sent += _datagrams[k];
            }

            i += n;
        }

        Count = 0;
        GC.KeepAlive(_pinned);
        return (sent, dropped);
    }

    private static void* Pin<T>(T[] pinned) where T : unmanaged
    {
        fixed (T* start = pinned)
        {
            return start; // allocated pinned: the address outlives the fixed block (the array is kept in _pinned)
        }
    }
}
