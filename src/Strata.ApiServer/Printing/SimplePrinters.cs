using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The kinds whose rows are a name, a field or a count, and an age: <c>printNamespace</c>, <c>printSecret</c>,
/// <c>printConfigMap</c>, <c>printServiceAccount</c> and <c>printLease</c> in pkg/printers/internalversion/printers.go.
/// </summary>
internal static class SimplePrinters
{
    public static TablePrinter Namespace() => new(
        [Col.Name, Col.String("Status", "The status of the namespace"), Col.Age],
        (obj, now) => [Cell.Of(obj.Name()), Cell.Of(obj.Str("status", "phase")), Cell.Of(obj.Age(now))]);

    public static TablePrinter Secret() => new(
        [Col.Name, Col.String("Type", SwaggerDocs.SecretType), Col.String("Data", SwaggerDocs.SecretData), Col.Age],
        (obj, now) => [Cell.Of(obj.Name()), Cell.Of(obj.Str("type")), Cell.Of(SecretKeys(obj)), Cell.Of(obj.Age(now))]);

    public static TablePrinter ConfigMap() => new(
        [Col.Name, Col.String("Data", SwaggerDocs.ConfigMapData), Col.Age],
        (obj, now) =>
        [
            Cell.Of(obj.Name()),
            Cell.Of((long)obj.Count("data") + obj.Count("binaryData")),
            Cell.Of(obj.Age(now)),
        ]);

    public static TablePrinter ServiceAccount() => new(
        [Col.Name, Col.String("Secrets", SwaggerDocs.ServiceAccountSecrets), Col.Age],
        (obj, now) => [Cell.Of(obj.Name()), Cell.Of((long)obj.Count("secrets")), Cell.Of(obj.Age(now))]);

    public static TablePrinter Lease() => new(
        [Col.Name, Col.String("Holder", SwaggerDocs.LeaseSpecHolderIdentity), Col.Age],
        (obj, now) => [Cell.Of(obj.Name()), Cell.Of(obj.Str("spec", "holderIdentity")), Cell.Of(obj.Age(now))]);

    /// <summary>
    /// The internal Secret has only <c>data</c>: converting from v1 merges <c>stringData</c> into it
    /// (Convert_v1_Secret_To_core_Secret), so a key in both counts once.
    /// </summary>
    private static long SecretKeys(JsonObject secret)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in new[] { "data", "stringData" })
        {
            if (secret.Obj(field) is { } map)
            {
                keys.UnionWith(map.Select(kv => kv.Key));
            }
        }

        return keys.Count;
    }
}
