namespace Strata.Agent.Images;

/// <summary>What the image table made of a container: a host program to run, or why none runs.</summary>
public abstract record ImageResolution;

/// <summary>
/// A host program that stands for the container's image. The kubelet writes <see cref="Files"/> (creating their
/// directories), then starts <see cref="Executable"/> with argv <c>[ArgumentZero, ..Arguments]</c> and the
/// environment <c>[..Environment, ..container env]</c> (the container's variables override the image's).
/// </summary>
/// <param name="Executable">The absolute path of the program; when <see cref="StartError"/> is set, the name as the pod gave it.</param>
/// <param name="ArgumentZero">argv[0], as the container's command spells it (<c>sh</c>, <c>nginx</c>).</param>
/// <param name="Arguments">argv[1..].</param>
/// <param name="Environment">The image's own <c>KEY=value</c> variables (its ENV), before the container's.</param>
/// <param name="Files">Files to write before starting, e.g. nginx's per-pod configuration.</param>
/// <param name="Description">One line for humans and Events: the image, the host program, and why.</param>
/// <param name="StartError">
/// Set when the program cannot be executed (not found on PATH): the container is created and fails to start, as
/// with containerd and runc. The kubelet reports it as Terminated, reason <see cref="ContainerStartErrors.Reason"/>,
/// exit code <see cref="ContainerStartErrors.ExitCode"/>, with this message.
/// </param>
/// <param name="StopSignal">The signal that asks the program to stop (the image's STOPSIGNAL; nginx's is SIGQUIT).</param>
public sealed record RunnableContainer(
    string Executable,
    string ArgumentZero,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> Environment,
    IReadOnlyList<ContainerFile> Files,
    string Description,
    string? StartError = null,
    int StopSignal = ContainerSignals.SIGTERM) : ImageResolution;

/// <summary>No program stands for this image: the container stays Waiting with this reason and message (kubelet style).</summary>
public sealed record NotRunnable(string Reason, string Message) : ImageResolution;

/// <summary>A file the kubelet writes before starting the container (its directory is created too).</summary>
public sealed record ContainerFile(string Path, string Contents);

/// <summary>Signal numbers on Linux (x86-64 and arm64 agree on these).</summary>
public static class ContainerSignals
{
    public const int SIGQUIT = 3;
    public const int SIGTERM = 15;
}
