using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>The result's DNS section from a resolv.conf file (plugins/ipam/host-local/dns.go).</summary>
internal static class ResolvConf
{
    public static JsonObject Parse(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Go's *PathError text: "open <path>: <strerror>".
            string reason = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
                UnauthorizedAccessException => "permission denied",
                _ => ex.Message,
            };
            throw new CniException(CniErrorCode.Internal, $"open {path}: {reason}");
        }

        var nameservers = new JsonArray();
        var search = new JsonArray();
        var options = new JsonArray();
        string? domain = null;
        foreach (string line in lines)
        {
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0][0] is '#' or ';')
            {
                continue;
            }

            switch (fields[0])
            {
                case "nameserver":
                    nameservers.Add((JsonNode)JsonValue.Create(fields[1]));
                    break;
                case "domain":
                    domain = fields[1];
                    break;
                case "search":
                    Append(search, fields[1..]);
                    break;
                case "options":
                    Append(options, fields[1..]);
                    break;
            }
        }

        // types.DNS: empty fields are omitted.
        var dns = new JsonObject();
        if (nameservers.Count > 0)
        {
            dns["nameservers"] = nameservers;
        }

        if (domain is not null)
        {
            dns["domain"] = domain;
        }

        if (search.Count > 0)
        {
            dns["search"] = search;
        }

        if (options.Count > 0)
        {
            dns["options"] = options;
        }

        return dns;
    }

    private static void Append(JsonArray array, IEnumerable<string> values)
    {
        foreach (string value in values)
        {
            array.Add((JsonNode)JsonValue.Create(value));
        }
    }
}
