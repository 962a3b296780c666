using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// The parts of an IPAM result the bridge plugin passes on, reduced to the fields of the current
/// result types (pkg/types/100 IPConfig, pkg/types Route and DNS) in their order, as decoding the
/// IPAM result into those types and printing it again does upstream.
/// </summary>
internal static class BridgeResult
{
    private static readonly string[] s_ipFields = ["interface", "address", "gateway"];
    private static readonly string[] s_routeFields = ["dst", "gw", "mtu", "advmss", "priority", "table", "scope"];
    private static readonly string[] s_dnsFields = ["nameservers", "domain", "search", "options"];

    public static List<JsonObject> Ips(JsonObject ipamResult, string plugin)
    {
        var ips = new List<JsonObject>();
        foreach (var node in ipamResult["ips"] as JsonArray ?? [])
        {
            var ip = Project(node as JsonObject ?? throw Bad(plugin, "an entry of ips is not an object"), s_ipFields);
            if (ip["address"] is not JsonValue address || !address.TryGetValue(out string? text) || !IpPrefix.TryParse(text, out _) || !text.Contains('/'))
            {
                throw Bad(plugin, $"invalid address in ips: {node?.ToJsonString() ?? "null"}");
            }

            if (ip["gateway"] is JsonValue gateway && (!gateway.TryGetValue(out string? gw) || !System.Net.IPAddress.TryParse(gw, out _)))
            {
                throw Bad(plugin, $"invalid gateway in ips: {node!.ToJsonString()}");
            }

            ips.Add(ip);
        }

        return ips;
    }

    public static List<JsonObject> Routes(JsonObject ipamResult, string plugin)
    {
        var routes = new List<JsonObject>();
        foreach (var node in ipamResult["routes"] as JsonArray ?? [])
        {
            var route = Project(node as JsonObject ?? throw Bad(plugin, "an entry of routes is not an object"), s_routeFields);
            if (route["dst"] is not JsonValue dst || !dst.TryGetValue(out string? text) || !IpPrefix.TryParse(text, out _) || !text.Contains('/'))
            {
                throw Bad(plugin, $"invalid dst in routes: {node?.ToJsonString() ?? "null"}");
            }

            if (route["gw"] is JsonValue gateway && (!gateway.TryGetValue(out string? gw) || !System.Net.IPAddress.TryParse(gw, out _)))
            {
                throw Bad(plugin, $"invalid gw in routes: {node!.ToJsonString()}");
            }

            routes.Add(route);
        }

        return routes;
    }

    /// <summary>types.DNS: only its four fields, and null when none is set (dnsConfSet).</summary>
    public static JsonObject? Dns(JsonObject dns)
    {
        var projected = new JsonObject();
        foreach (string field in s_dnsFields)
        {
            switch (dns[field])
            {
                case JsonArray { Count: > 0 } list:
                    projected[field] = list.DeepClone();
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Length > 0:
                    projected[field] = value.DeepClone();
                    break;
            }
        }

        // dnsConfSet: a list that is present, even empty, counts as set.
        bool set = dns["nameservers"] is JsonArray || dns["search"] is JsonArray || dns["options"] is JsonArray || projected["domain"] is not null;
        return set ? projected : null;
    }

    public static JsonArray Array(IEnumerable<JsonObject> items) => new(items.Select(i => (JsonNode)i).ToArray());

    private static JsonObject Project(JsonObject source, string[] fields)
    {
        var projected = new JsonObject();
        foreach (string field in fields)
        {
            if (source[field] is { } value && value.GetValueKind() != JsonValueKind.Null)
            {
                projected[field] = value.DeepClone();
            }
        }

        return projected;
    }

    private static CniException Bad(string plugin, string problem) =>
        new(CniErrorCode.DecodingFailure, $"IPAM plugin {plugin} returned an invalid result: {problem}");
}
