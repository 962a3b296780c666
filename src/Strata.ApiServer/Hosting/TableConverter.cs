using System.Globalization;
using System.Text.Json.Nodes;
using Strata.ApiServer.Http;
using Strata.ApiServer.Printing;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// Tables with upstream's printers for built-in kinds; for custom resources, the CRD's additionalPrinterColumns
/// after Name, or Name and Age when it has none (apiextensions-apiserver's tableconvertor).
/// </summary>
internal sealed class TableConverter : ITableConverter
{
    public JsonObject ToTable(ResourceInfo resource, IReadOnlyList<JsonObject> objects, string includeObject, string? resourceVersion, string? continueToken, DateTimeOffset now, bool noHeaders = false)
    {
        var printer = resource.IsCustom ? CustomPrinter(resource) : TablePrinters.For(resource.Group, resource.Kind);
        try
        {
            return TablePrinters.ToTable(printer, objects, includeObject, resourceVersion, continueToken, now, noHeaders);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    private static TablePrinter CustomPrinter(ResourceInfo resource)
    {
        var columns = new List<(TableColumn Column, PrinterColumnPath JsonPath)>
        {
            (new TableColumn("Name", "string", "name", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0), PrinterColumnPath.Parse(".metadata.name")),
        };
        var defined = resource.PrinterColumns?.OfType<JsonObject>().ToList() ?? [];
        if (defined.Count == 0)
        {
            columns.Add((new TableColumn("Age", "date", "", "", 0), PrinterColumnPath.Parse(".metadata.creationTimestamp")));
        }

        foreach (var c in defined)
        {
            columns.Add((new TableColumn(
                (string?)c["name"] ?? "",
                (string?)c["type"] ?? "string",
                (string?)c["format"] ?? "",
                (string?)c["description"] ?? "",
                (int?)c["priority"] ?? 0), PrinterColumnPath.Parse((string?)c["jsonPath"] ?? "")));
        }

        return new TablePrinter(columns.Select(c => c.Column).ToList(), (obj, now) =>
            columns.Select(c => Cell(obj, c.Column.Type, c.JsonPath, now)).ToArray());
    }

    /// <summary>A cell from a printer column's JSONPath (its first result); dates print as ages, as kubectl shows them.</summary>
    private static JsonNode? Cell(JsonObject obj, string type, PrinterColumnPath path, DateTimeOffset now)
    {
        var node = path.First(obj);
        if (node is null)
        {
            return null;
        }

        if (type == "date" && DateTimeOffset.TryParse((string?)node, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return HumanDuration.Since(time, now);
        }

        return node.DeepClone();
    }
}
