using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Lab;

/// <summary>A node as recorded in the state file.</summary>
public sealed record LabStateNode(string Name, string Address, string Namespace, string MountNamespace);

/// <summary>A host file or directory the lab created (a mount point that did not exist): removed by <c>down</c> when empty.</summary>
public sealed record LabHostPath(string Path, bool IsDirectory);

/// <summary>A process the lab started, with its start time (clock ticks since boot, /proc/PID/stat field 22) to detect pid reuse.</summary>
public sealed record LabProcess(string Role, int Pid, ulong StartTime);

/// <summary>
/// <c>state.json</c>: everything the lab creates, written before it is created and updated as
/// things start (conventions.md, rule 11). <c>down</c> is driven only by this file.
/// </summary>
public sealed class LabState
{
    public const string FileName = "state.json";

    public int Version { get; set; } = 1;

    public required string Name { get; set; }

    public required string StateDirectory { get; set; }

    public int ApiPort { get; set; }

    public string ApiAddress { get; set; } = "";

    public string Underlay { get; set; } = "";

    public string UnderlayNamespace { get; set; } = "";

    /// <summary>The LoadBalancer address pool (first-last), empty for a lab made before there was one.</summary>
    public string LoadBalancerPool { get; set; } = "";

    public List<LabStateNode> Nodes { get; set; } = [];

    /// <summary>Network namespaces under /run/netns, in creation order.</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Mount points on the host (the mount-namespace files and their private directory), in creation order.</summary>
    public List<string> Mounts { get; set; } = [];

    public List<LabHostPath> HostPaths { get; set; } = [];

    public List<LabProcess> Processes { get; set; } = [];

    public static string PathIn(string stateDirectory) => System.IO.Path.Combine(stateDirectory, FileName);

    public static LabState? Load(string stateDirectory)
    {
        string path = PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), LabStateJson.Default.LabState)
                ?? throw new LabException($"{path}: empty state file");
        }
        catch (JsonException e)
        {
            throw new LabException($"{path}: the state file is not valid ({e.Message}); remove what it lists by hand", e);
        }
    }

    /// <summary>Writes the file atomically (a temporary file renamed over it), so a crash leaves the old or the new list, never half of one.</summary>
    public void Save()
    {
        Directory.CreateDirectory(StateDirectory);
        string path = PathIn(StateDirectory);
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, this, LabStateJson.Default.LabState);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public string ToJson() => JsonSerializer.Serialize(this, LabStateJson.Default.LabState);

    /// <summary>Adds a namespace, mount or path once, and saves before the caller creates it.</summary>
    public void Record(Action<LabState> change)
    {
        change(this);
        Save();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(LabState))]
internal sealed partial class LabStateJson : JsonSerializerContext;
