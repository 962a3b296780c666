using System.Text;
using System.Text.Json;

namespace Strata.Bench;

/// <summary>The machine-readable report every benchmark writes: one indented JSON object and a newline.</summary>
internal static class BenchJson
{
    public static string Object(Action<Utf8JsonWriter> writeMembers)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            writeMembers(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
