using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Http;

/// <summary>Turns objects into a meta.k8s.io/v1 Table (the server side of <c>kubectl get</c>).</summary>
public interface ITableConverter
{
    /// <param name="includeObject">None, Metadata or Object (metav1.IncludeObjectPolicy).</param>
    /// <param name="noHeaders">Leave out the column definitions (watch events after the first).</param>
    JsonObject ToTable(ResourceInfo resource, IReadOnlyList<JsonObject> objects, string includeObject, string? resourceVersion, string? continueToken, DateTimeOffset now, bool noHeaders = false);
}

/// <summary>Applies PATCH bodies: JSON patch, merge patch, strategic merge patch.</summary>
public interface IPatcher
{
    bool Supports(string contentType, ResourceInfo resource);

    JsonObject Apply(string contentType, ResourceInfo resource, JsonObject current, JsonNode patch);
}

/// <summary>Drops the fields an object's schema does not know and names them (for <c>fieldValidation</c>).</summary>
public interface IFieldPruner
{
    IReadOnlyList<string> Prune(ResourceInfo resource, JsonObject obj);
}
