using k8s.Models;

namespace Strata.Agent.Kubelet.Images;

/// <summary>What an image needs to know of where it runs.</summary>
/// <param name="StrataBinary">The strata executable (images such as agnhost and strata/&lt;role&gt; run it).</param>
/// <param name="PodDirectory">A directory of the pod's own, for files the image writes (an nginx configuration).</param>
public sealed record ImageContext(string StrataBinary, string PodDirectory);

/// <summary>How a container's image turns into a program, or why it cannot.</summary>
public abstract record ImageResolution;

/// <summary>
/// A runnable program: the executable (absolute, or a name looked up in the container's PATH), argv[0] (the
/// executable when null), argv[1..], the environment the image adds (before the container's), files to write
/// before starting (path → contents), the imageID to report, the image's stop signal, and, when the program cannot
/// be executed, the start error to report instead (containerd's StartError, exit code 128).
/// </summary>
public sealed record RunnableImage(
    string Program,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> Environment,
    IReadOnlyDictionary<string, string> Files,
    string ImageId) : ImageResolution
{
    public string? ArgumentZero { get; init; }

    public int StopSignal { get; init; } = 15;

    public string? StartError { get; init; }
}

/// <summary>Not runnable: the container stays Waiting with this reason and message (ErrImageNeverPull, …), with an Event.</summary>
public sealed record UnavailableImage(string Reason, string Message) : ImageResolution;

/// <summary>
/// The kubelet's view of the image table: which program a container runs. Strata.Agent.Images.ImageTable is adapted
/// to it (RunnableContainer → <see cref="RunnableImage"/>, NotRunnable → <see cref="UnavailableImage"/>); an
/// explicit command always runs as given (with the image's environment).
/// </summary>
public interface IContainerImages
{
    ImageResolution Resolve(V1Pod pod, V1Container container, ImageContext context);
}

/// <summary>
/// The table with no images: a container with a command runs it, any other gets ErrImageNeverPull as a kubelet with
/// pull policy Never and an empty image store would report.
/// </summary>
public sealed class CommandOnlyImages : IContainerImages
{
    public static CommandOnlyImages Instance { get; } = new();

    public ImageResolution Resolve(V1Pod pod, V1Container container, ImageContext context)
    {
        if (container.Command is { Count: > 0 } command)
        {
            return new RunnableImage(command[0], [.. command.Skip(1), .. container.Args ?? []], [], new Dictionary<string, string>(), ImageIdOf(container.Image));
        }

        return new UnavailableImage("ErrImageNeverPull", $"Container image \"{container.Image}\" is not present with pull policy of Never");
    }

    public static string ImageIdOf(string image) => $"strata://image/{image}";
}
