namespace Strata.ApiServer.Http;

/// <summary>One media range of an Accept or Content-Type header, with its parameters (<c>as=Table;v=v1;g=meta.k8s.io</c>).</summary>
public sealed record MediaType(string Type, IReadOnlyDictionary<string, string> Parameters)
{
    public static IReadOnlyList<MediaType> ParseAccept(string header) =>
        header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();

    public static MediaType Parse(string value)
    {
        var parts = value.Split(';', StringSplitOptions.TrimEntries);
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in parts.Skip(1))
        {
            var eq = p.IndexOf('=');
            if (eq > 0)
            {
                parameters[p[..eq].Trim()] = p[(eq + 1)..].Trim().Trim('"');
            }
        }

        return new MediaType(parts[0].ToLowerInvariant(), parameters);
    }

    /// <summary>Whether the client asks for a meta.k8s.io/v1 Table (kubectl get's first choice).</summary>
    public static bool WantsTable(string? accept) =>
        accept is not null && ParseAccept(accept).Any(m =>
            m.Parameters.TryGetValue("as", out var @as) && @as == "Table" &&
            m.Parameters.TryGetValue("g", out var g) && g == "meta.k8s.io" &&
            m.Parameters.TryGetValue("v", out var v) && v is "v1" or "v1beta1");
}
