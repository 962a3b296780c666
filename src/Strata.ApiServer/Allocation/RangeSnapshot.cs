namespace Strata.ApiServer.Allocation;

/// <summary>
/// An allocator's state in upstream's <c>RangeAllocation</c> shape: the range it covers and the bitmap
/// (<c>big.Int.Bytes()</c> of the taken offsets).
/// </summary>
public sealed record RangeSnapshot(string Range, byte[] Data)
{
    /// <summary><see cref="Data"/> as Go's <c>encoding/json</c> writes a <c>[]byte</c>: standard base64 with padding.</summary>
    public string DataBase64 => Convert.ToBase64String(Data);

    public static RangeSnapshot FromBase64(string range, string dataBase64) => new(range, Convert.FromBase64String(dataBase64));

    public bool Equals(RangeSnapshot? other) =>
        other is not null && Range == other.Range && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Range, Data.Length);
}

/// <summary>An allocator whose whole state is a <see cref="RangeSnapshot"/> (upstream's <c>Snapshottable</c>).</summary>
public interface IRangeAllocator
{
    /// <summary>The range, as <c>RangeAllocation.range</c> spells it.</summary>
    string RangeSpec { get; }

    int Used { get; }

    int Free { get; }

    RangeSnapshot Snapshot();

    /// <summary>Replaces the state; an <see cref="AllocationException"/> (<see cref="AllocationError.MismatchedRange"/>) if it covers another range.</summary>
    void Restore(RangeSnapshot snapshot);
}
