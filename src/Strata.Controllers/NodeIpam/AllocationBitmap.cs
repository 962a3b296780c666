using System.Numerics;

namespace Strata.Controllers.NodeIpam;

/// <summary>How <see cref="AllocationBitmap.AllocateNext"/> picks a free item (upstream's <c>bitAllocator</c> strategies).</summary>
public enum AllocationStrategy
{
    /// <summary>
    /// <c>randomScanStrategyWithOffset</c>: a random start in the upper band <c>[offset, max)</c>, scanning forward and
    /// wrapping inside it; only when that band is full, the same in the lower band <c>[0, offset)</c>. With offset 0 this
    /// is <c>randomScanStrategy</c> over the whole range.
    /// </summary>
    RandomScanWithOffset,

    /// <summary><c>contiguousScanStrategy</c>: the lowest free item.</summary>
    Contiguous,
}

/// <summary>
/// A contiguous block of items with one bit per offset, as upstream's <c>allocator.AllocationBitmap</c>
/// (pkg/registry/core/service/allocator/bitmap.go). Thread-safe.
/// Its snapshot is the bitmap as Go's <c>big.Int.Bytes()</c> writes it (big-endian, no leading zero bytes, bit i
/// is offset i), so the <c>data</c> of a stored RangeAllocation reads the same here and in kube-apiserver.
/// </summary>
public sealed class AllocationBitmap
{
    private readonly object _lock = new();
    private readonly Random _random;
    private ulong[] _words;
    private int _count;

    public AllocationBitmap(int max, string rangeSpec, AllocationStrategy strategy = AllocationStrategy.RandomScanWithOffset, int offset = 0, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Max = max;
        RangeSpec = rangeSpec;
        Strategy = strategy;
        // The offset must be smaller than the bitmap (upstream's contract); a larger one would leave no upper band.
        Offset = offset < max ? offset : 0;
        _random = random ?? Random.Shared;
        _words = new ulong[(max + 63) / 64];
    }

    /// <summary>The number of items.</summary>
    public int Max { get; }

    /// <summary>The range this bitmap covers, as <c>RangeAllocation.range</c> spells it.</summary>
    public string RangeSpec { get; }

    public AllocationStrategy Strategy { get; }

    /// <summary>The size of the lower band that dynamic allocation leaves for static requests while the upper band has room.</summary>
    public int Offset { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public int Free
    {
        get
        {
            lock (_lock)
            {
                return Max - _count;
            }
        }
    }

    /// <summary>Reserves <paramref name="offset"/>; false if it was already taken.</summary>
    public bool Allocate(int offset)
    {
        if (offset < 0 || offset >= Max)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} out of range [0,{Max}]");
        }

        lock (_lock)
        {
            if (Bit(offset))
            {
                return false;
            }

            Set(offset, true);
            _count++;
            return true;
        }
    }

    /// <summary>Reserves a free item chosen by the strategy; null if none is left.</summary>
    public int? AllocateNext()
    {
        lock (_lock)
        {
            if (_count >= Max)
            {
                return null;
            }

            int? next = Strategy == AllocationStrategy.Contiguous ? ScanContiguous() : ScanRandomWithOffset();
            if (next is { } found)
            {
                Set(found, true);
                _count++;
            }

            return next;
        }
    }

    /// <summary>Frees <paramref name="offset"/>; freeing a free or out-of-range item does nothing.</summary>
    public void Release(int offset)
    {
        if (offset < 0 || offset >= Max)
        {
            return;
        }

        lock (_lock)
        {
            if (Bit(offset))
            {
                Set(offset, false);
                _count--;
            }
        }
    }

    public bool Has(int offset)
    {
        if (offset < 0 || offset >= Max)
        {
            return false;
        }

        lock (_lock)
        {
            return Bit(offset);
        }
    }

    /// <summary>The taken offsets in ascending order.</summary>
    public IReadOnlyList<int> Allocated()
    {
        lock (_lock)
        {
            var result = new List<int>(_count);
            for (var w = 0; w < _words.Length; w++)
            {
                var word = _words[w];
                while (word != 0)
                {
                    result.Add((w * 64) + BitOperations.TrailingZeroCount(word));
                    word &= word - 1;
                }
            }

            return result;
        }
    }

    /// <summary>The bitmap as <c>big.Int.Bytes()</c>: big-endian, without leading zero bytes (empty when nothing is taken).</summary>
    public byte[] ToBytes()
    {
        lock (_lock)
        {
            var bytes = new byte[_words.Length * 8];
            for (var w = 0; w < _words.Length; w++)
            {
                var word = _words[w];
                for (var b = 0; b < 8; b++)
                {
                    bytes[bytes.Length - 1 - ((w * 8) + b)] = (byte)(word >> (8 * b));
                }
            }

            var firstNonZero = Array.FindIndex(bytes, b => b != 0);
            return firstNonZero < 0 ? [] : bytes[firstNonZero..];
        }
    }

    /// <summary>
    /// Replaces the state with a snapshot taken over <paramref name="rangeSpec"/> (upstream's <c>Restore</c>).
    /// Bits at or beyond <see cref="Max"/> are dropped, so <see cref="Count"/> always counts real items.
    /// </summary>
    public void Restore(string rangeSpec, ReadOnlySpan<byte> data)
    {
        if (rangeSpec != RangeSpec)
        {
            throw new ArgumentException("the provided range does not match the current range", nameof(rangeSpec));
        }

        var words = new ulong[_words.Length];
        for (var i = 0; i < data.Length; i++)
        {
            var bitBase = (data.Length - 1 - i) * 8;
            var value = data[i];
            for (var b = 0; b < 8 && value != 0; b++, value >>= 1)
            {
                var offset = bitBase + b;
                if ((value & 1) != 0 && offset < Max)
                {
                    words[offset / 64] |= 1UL << (offset % 64);
                }
            }
        }

        var count = 0;
        foreach (var word in words)
        {
            count += BitOperations.PopCount(word);
        }

        lock (_lock)
        {
            _words = words;
            _count = count;
        }
    }

    private int? ScanContiguous()
    {
        for (var i = 0; i < Max; i++)
        {
            if (!Bit(i))
            {
                return i;
            }
        }

        return null;
    }

    private int? ScanRandomWithOffset()
    {
        // The upper band first, from a random start, wrapping inside the band.
        var upper = Max - Offset;
        var start = _random.Next(upper);
        for (var i = 0; i < upper; i++)
        {
            var at = Offset + ((start + i) % upper);
            if (!Bit(at))
            {
                return at;
            }
        }

        // Upper band full: the lower band, the same way, before giving up.
        if (Offset == 0)
        {
            return null;
        }

        start = _random.Next(Offset);
        for (var i = 0; i < Offset; i++)
        {
            var at = (start + i) % Offset;
            if (!Bit(at))
            {
                return at;
            }
        }

        return null;
    }

    private bool Bit(int offset) => (_words[offset / 64] & (1UL << (offset % 64))) != 0;

    private void Set(int offset, bool value)
    {
        if (value)
        {
            _words[offset / 64] |= 1UL << (offset % 64);
        }
        else
        {
            _words[offset / 64] &= ~(1UL << (offset % 64));
        }
    }
}
