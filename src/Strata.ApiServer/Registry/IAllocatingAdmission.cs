using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Registry;

/// <summary>
/// Admission that reserves something for an object before it is stored, as the Service registry's BeginCreate and
/// BeginUpdate hooks reserve ClusterIPs and NodePorts (pkg/registry/core/service/storage/storage.go): it fills the
/// reserved values into the object, and the returned reservation is committed if the write happens, else undone.
/// </summary>
public interface IAllocatingAdmission
{
    bool Handles(ResourceInfo resource);

    /// <summary>Reserves what a new object needs. With <paramref name="dryRun"/>, checks without keeping anything.</summary>
    Task<IReservation> BeginCreateAsync(JsonObject obj, bool dryRun, CancellationToken cancellationToken);

    /// <summary>Reserves what an updated object newly needs; the reservation's commit frees what the old one no longer does.</summary>
    Task<IReservation> BeginUpdateAsync(JsonObject obj, JsonObject old, bool dryRun, CancellationToken cancellationToken);

    /// <summary>Frees what a deleted object held.</summary>
    Task ReleaseAsync(JsonObject deleted, CancellationToken cancellationToken);
}

/// <summary>What one write reserved.</summary>
public interface IReservation
{
    /// <summary>The write happened (<paramref name="stored"/>) or not: keep the reservation, or undo it.</summary>
    Task FinishAsync(bool stored, CancellationToken cancellationToken);
}
