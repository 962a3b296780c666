namespace Strata.Agent.Images;

/// <summary>
/// A container image reference split as Docker normalises it (distribution/reference): <c>nginx</c> is
/// <c>docker.io/library/nginx:latest</c>; a first component with a dot, a colon or <c>localhost</c> is a registry.
/// </summary>
/// <param name="Registry">The registry host, <c>docker.io</c> by default.</param>
/// <param name="Repository">The path in the registry, e.g. <c>library/nginx</c> or <c>e2e-test-images/agnhost</c>.</param>
/// <param name="Tag">The tag, or null when none was written (Docker's <c>latest</c>).</param>
/// <param name="Digest">The digest after <c>@</c>, or null.</param>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DefaultRegistry = "docker.io";

    /// <summary>The last component of the repository (<c>nginx</c>, <c>agnhost</c>, <c>curl</c>).</summary>
    public string Name => Repository[(Repository.LastIndexOf('/') + 1)..];

    public static ImageReference Parse(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        string rest = image.Trim().ToLowerInvariant();
        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }

        string? tag = null;
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }

        string registry = DefaultRegistry;
        int firstSlash = rest.IndexOf('/');
        if (firstSlash > 0)
        {
            string first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                rest = rest[(firstSlash + 1)..];
            }
        }

        if (registry == DefaultRegistry && !rest.Contains('/'))
        {
            rest = "library/" + rest;
        }

        return new ImageReference(registry, rest, tag, digest);
    }
}
