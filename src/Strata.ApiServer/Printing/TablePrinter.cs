using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The server-side table for one kind: its column definitions and how to turn one stored object into a row.
/// The cells always include the <c>-o wide</c> columns, because kube-apiserver's TableConvertor prints with
/// <c>Wide: true</c> and leaves hiding them to kubectl (pkg/printers/storage/storage.go).
/// </summary>
public sealed class TablePrinter
{
    private readonly Func<JsonObject, DateTimeOffset, JsonNode?[]> _cells;
    private readonly Func<JsonObject, IReadOnlyList<TableRowCondition>> _conditions;

    internal TablePrinter(
        IReadOnlyList<TableColumn> columns,
        Func<JsonObject, DateTimeOffset, JsonNode?[]> cells,
        Func<JsonObject, IReadOnlyList<TableRowCondition>>? conditions = null,
        bool isDefault = false)
    {
        Columns = columns;
        _cells = cells;
        _conditions = conditions ?? (_ => []);
        IsDefault = isDefault;
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>
    /// True for the generic Name / Created At table (apiserver's defaultTableConvertor), which differs from the
    /// typed printers in one visible way: an empty list has <c>"rows": null</c> rather than <c>[]</c>.
    /// </summary>
    public bool IsDefault { get; }

    /// <summary>The row's cells, one per column, as kube-apiserver encodes them (strings, integers, booleans).</summary>
    public IReadOnlyList<JsonNode?> Cells(JsonObject obj, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var cells = _cells(obj, now);
        if (cells.Length != Columns.Count)
        {
            throw new InvalidOperationException($"printer produced {cells.Length} cells for {Columns.Count} columns");
        }

        return cells;
    }

    /// <summary>The row's conditions; empty for every kind except a completed or failed Pod.</summary>
    public IReadOnlyList<TableRowCondition> RowConditions(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return _conditions(obj);
    }
}
