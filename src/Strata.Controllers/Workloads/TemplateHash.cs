using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using k8s.Models;

namespace Strata.Controllers.Workloads;

/// <summary>
/// The pod-template-hash (controller.ComputeHash in pkg/controller/controller_utils.go): FNV-32a of the template plus
/// the collision count as 8 little-endian bytes, its decimal form rendered with rand.SafeEncodeString. Upstream feeds
/// the hash Go's spew dump of the struct; we feed it the template's canonical JSON (keys sorted, zero values left out), so the names have
/// upstream's shape and stability but not its exact values.
/// </summary>
public static class TemplateHash
{
    private const string Alphanums = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec template, int? collisionCount)
    {
        var hash = Fnv32a.Start;
        hash = Fnv32a.Add(hash, Encoding.UTF8.GetBytes(CanonicalJson(template)));
        if (collisionCount is { } c)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, unchecked((uint)c));
            hash = Fnv32a.Add(hash, bytes);
        }

        return SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alikes.</summary>
    public static string SafeEncode(string s) => string.Concat(s.Select(ch => Alphanums[ch % Alphanums.Length]));

    /// <summary>The bytes hashed: the template's JSON with sorted keys and without zero values (<see cref="SemanticJson"/>).</summary>
    public static string CanonicalJson<T>(T obj) => SemanticJson.Canonical(obj);

    public static class Fnv32a
    {
        public const uint Start = 2166136261;

        public static uint Add(uint hash, ReadOnlySpan<byte> data)
        {
            foreach (var b in data)
            {
                hash ^= b;
                hash = unchecked(hash * 16777619);
            }

            return hash;
        }
    }
}
