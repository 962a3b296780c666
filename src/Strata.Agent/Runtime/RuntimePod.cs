using System.Collections.Concurrent;
using Strata.Agent.Kubelet.Probes;

namespace Strata.Agent.Runtime;

/// <summary>One container of a running pod: its process, its restart state and its probes.</summary>
public sealed class RuntimeContainer(ContainerCheckpoint checkpoint)
{
    public ContainerCheckpoint Checkpoint { get; } = checkpoint;

    public string Name => Checkpoint.Name;

    /// <summary>An init container: done once it succeeds.</summary>
    public bool IsInit { get; set; }

    public SpawnedProcess? Process { get; set; }

    /// <summary>The process's exit, observed from the watcher.</summary>
    public Task<int?>? Exit { get; set; }

    public bool Running => Process is not null && !Process.HasExited;

    /// <summary>The delay used before the last restart (null: not restarted yet since the back-off reset).</summary>
    public TimeSpan? BackOff { get; set; }

    public DateTime? NextStartAt { get; set; }

    /// <summary>Why the container waits (ErrImageNeverPull, RunContainerError …), when it is not back-off.</summary>
    public (string Reason, string Message)? Waiting { get; set; }

    /// <summary>Set while the container is being stopped: when SIGKILL follows SIGTERM.</summary>
    public DateTime? KillDeadline { get; set; }

    public List<ProbeWorker> Probes { get; } = [];

    public ProbeWorker? Probe(ProbeKind kind) => Probes.FirstOrDefault(p => p.Kind == kind);

    public bool Started => Running && (Probe(ProbeKind.Startup)?.Result ?? true);

    public bool Ready => Started && (Probe(ProbeKind.Readiness)?.Result ?? true);

    public void StopProbes()
    {
        foreach (var probe in Probes)
        {
            probe.Dispose();
        }

        Probes.Clear();
    }
}

/// <summary>A pod the runtime has a sandbox (or an attempt at one) for.</summary>
public sealed class RuntimePod(SandboxCheckpoint checkpoint)
{
    public SandboxCheckpoint Checkpoint { get; set; } = checkpoint;

    public string Uid => Checkpoint.PodUid;

    public string Key => $"{Checkpoint.PodNamespace}/{Checkpoint.PodName}";

    public bool SandboxReady { get; set; }

    public DateTime StartTime { get; set; } = checkpoint.CreatedAt;

    /// <summary>When the next sandbox attempt may run, and the delay used for the last one.</summary>
    public DateTime? NextSandboxAttempt { get; set; }

    public TimeSpan SandboxBackOff { get; set; }

    /// <summary>The NetworkNotReady event was recorded for this pod (once, as the kubelet does while it waits).</summary>
    public bool NetworkNotReadyReported { get; set; }

    /// <summary>By name; read by the kubelet server's locator while the sync loop adds to it.</summary>
    public ConcurrentDictionary<string, RuntimeContainer> Containers { get; } = new();

    public RuntimeContainer Container(string name)
    {
        if (!Containers.TryGetValue(name, out var container))
        {
            var saved = Checkpoint.Containers.FirstOrDefault(c => c.Name == name);
            if (saved is null)
            {
                saved = new ContainerCheckpoint { Name = name };
                Checkpoint.Containers.Add(saved);
            }

            container = Containers.GetOrAdd(name, new RuntimeContainer(saved));
        }

        return container;
    }
}
