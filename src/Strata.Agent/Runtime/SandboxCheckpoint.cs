using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strata.Agent.Runtime;

/// <summary>A container as the checkpoint keeps it: enough to adopt its process and report it after an agent restart.</summary>
public sealed class ContainerCheckpoint
{
    public required string Name { get; set; }

    public string? Id { get; set; }

    public int Pid { get; set; }

    public ulong StartTime { get; set; }

    public int RestartCount { get; set; }

    public DateTime? StartedAt { get; set; }

    public string? ImageId { get; set; }

    public string? LogPath { get; set; }

    public string? PreviousLogPath { get; set; }

    public IReadOnlyList<string> Environment { get; set; } = [];

    public string? WorkingDirectory { get; set; }

    /// <summary>The signal that asks this container to stop (the image's STOPSIGNAL).</summary>
    public int StopSignal { get; set; } = 15;

    /// <summary>The instance before the current one (lastState).</summary>
    public TerminationRecord? LastTermination { get; set; }

    /// <summary>The current instance ended and will not be restarted (state.terminated).</summary>
    public TerminationRecord? FinalTermination { get; set; }
}

/// <summary>How a container instance ended.</summary>
public sealed record TerminationRecord(string ContainerId, int ExitCode, string Reason, DateTime StartedAt, DateTime FinishedAt, string? Message = null);

/// <summary>
/// Everything the runtime made for one pod, written to <c>&lt;root-dir&gt;/pods/&lt;uid&gt;/sandbox.json</c> before it
/// makes it (conventions.md, rule 11), so that after a crash a restarted agent can adopt the pod or remove every
/// piece of it.
/// </summary>
public sealed class SandboxCheckpoint
{
    public const string FileName = "sandbox.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required string PodUid { get; set; }

    public required string PodNamespace { get; set; }

    public required string PodName { get; set; }

    public required string SandboxId { get; set; }

    /// <summary>The netns name under /run/netns (cni-&lt;uuid&gt;); null for hostNetwork pods.</summary>
    public string? Netns { get; set; }

    public bool HostNetwork { get; set; }

    public DateTime CreatedAt { get; set; }

    public IReadOnlyList<string> PodIps { get; set; } = [];

    /// <summary>The network was released (CNI DEL and netns removed) because the pod finished.</summary>
    public bool NetworkReleased { get; set; }

    public List<ContainerCheckpoint> Containers { get; set; } = [];

    public static string PathIn(string podDirectory) => Path.Combine(podDirectory, FileName);

    /// <summary>Writes atomically (a temporary file renamed over the checkpoint).</summary>
    public void Write(string podDirectory)
    {
        Directory.CreateDirectory(podDirectory);
        string path = PathIn(podDirectory);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The checkpoint in a pod directory; null when there is none or it is unreadable.</summary>
    public static SandboxCheckpoint? Read(string podDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize<SandboxCheckpoint>(File.ReadAllText(PathIn(podDirectory)), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
