using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Skel;

/// <summary>
/// Typed reads from the configuration JSON, each failing with code 7 (invalid network config) and
/// the field's path, e.g. <c>ipam.ranges[0][0].subnet: invalid CIDR "10.0.0.300/24" …</c>.
/// </summary>
public static class ConfigReader
{
    public static string? OptionalString(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value => value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid(path, field, "must be a string"));

    public static string RequiredString(JsonObject node, string field, string path = "") =>
        OptionalString(node, field, path) is { Length: > 0 } value ? value : throw Invalid(path, field, "is required");

    public static bool OptionalBool(JsonObject node, string field, bool fallback, string path = "") =>
        Read(node, field, path, value => value.GetValueKind() switch
        {
            JsonValueKind.True => (bool?)true,
            JsonValueKind.False => false,
            _ => throw Invalid(path, field, "must be true or false"),
        }) ?? fallback;

    public static int? OptionalInt(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value => value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue(out int number)
            ? (int?)number
            : throw Invalid(path, field, "must be an integer"));

    public static IpPrefix? OptionalPrefix(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value =>
        {
            string text = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid(path, field, "must be a string");
            return IpPrefix.TryParse(text, out var prefix, out string? error) && text.Contains('/') ? (IpPrefix?)prefix : throw Invalid(path, field, error ?? $"invalid CIDR \"{text}\": no prefix length");
        });

    public static System.Net.IPAddress? OptionalAddress(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value =>
        {
            string text = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid(path, field, "must be a string");
            return System.Net.IPAddress.TryParse(text, out var address) && !text.Contains('/') ? address : throw Invalid(path, field, $"invalid IP address \"{text}\"");
        });

    public static JsonObject? OptionalObject(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value => value as JsonObject ?? throw Invalid(path, field, "must be an object"));

    public static JsonArray? OptionalArray(JsonObject node, string field, string path = "") =>
        Read(node, field, path, value => value as JsonArray ?? throw Invalid(path, field, "must be an array"));

    public static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    public static CniException Invalid(string path, string field, string problem) =>
        new(CniErrorCode.InvalidNetworkConfig, $"{Join(path, field)}: {problem}");

    private static T? Read<T>(JsonObject node, string field, string path, Func<JsonNode, T?> convert)
    {
        var value = node[field];
        return value is null ? default : convert(value);
    }
}
