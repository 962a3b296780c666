using k8s.Models;
using Strata.Agent.Runtime;

namespace Strata.Agent.Images;

/// <summary>
/// The visible table that maps container images, which the lab cannot pull, to host programs. Pure: it reads the
/// pod spec and the context and decides; the kubelet writes the files and starts the program.
/// <para>
/// A container's argv follows Kubernetes (pkg/kubelet/kuberuntime, and the CRI runtimes): <c>command</c> replaces
/// the image's ENTRYPOINT and drops its CMD; <c>args</c> replaces the CMD. Each rule knows its image's ENTRYPOINT
/// and CMD, builds the argv the container would run, then maps the image's programs (<c>/docker-entrypoint.sh</c>,
/// <c>/agnhost</c>, <c>/pause</c>) to the host's; everything else runs as given, found along PATH.
/// </para>
/// </summary>
public static class ImageTable
{
    /// <summary>The Waiting reason for an image that is not on the node (pkg/kubelet/images: ErrImageNeverPull).</summary>
    public const string ErrImageNeverPull = "ErrImageNeverPull";

    /// <summary>The Waiting reason the kubelet uses when a container cannot be created.</summary>
    public const string CreateContainerError = "CreateContainerError";

    /// <summary>The agnhost subcommands that <c>strata agnhost</c> implements.</summary>
    public static IReadOnlyList<string> AgnhostSubcommands { get; } =
        ["netexec", "serve-hostname", "pause", "dns-suffix", "dns-server-list", "etc-hosts"];

    /// <summary>The variables every mapped image sets (its ENV): the PATH images and containerd use.</summary>
    public static IReadOnlyList<string> ImageEnvironment { get; } = ["PATH=" + ProcessSpawner.DefaultPath];

    /// <summary>The rules, in the order they are tried; the first whose pattern matches decides.</summary>
    public static IReadOnlyList<ImageRule> Rules { get; } =
    [
        new("strata/<role>", "ENTRYPOINT [\"strata\"] CMD [\"agent\", \"--roles\", \"<role>\"]",
            "the strata executable (hostNetwork DaemonSets: flannel, proxy)",
            r => r.Repository.StartsWith("strata/", StringComparison.Ordinal), ResolveStrata),
        new("*agnhost*", "ENTRYPOINT [\"/agnhost\"] CMD [\"pause\"]",
            "strata agnhost <subcommand>: " + string.Join(", ", AgnhostSubcommands),
            r => r.Repository.Contains("agnhost", StringComparison.Ordinal), ResolveAgnhost),
        new("pause, pause-<arch> (registry.k8s.io/pause)", "ENTRYPOINT [\"/pause\"]",
            "strata agnhost pause-image: sleeps until SIGTERM or SIGINT, then exits 0",
            r => r.Name == "pause" || r.Name.StartsWith("pause-", StringComparison.Ordinal), ResolvePause),
        new("nginx*", "ENTRYPOINT [\"/docker-entrypoint.sh\"] CMD [\"nginx\", \"-g\", \"daemon off;\"] STOPSIGNAL SIGQUIT",
            "Debian's /usr/sbin/nginx with a per-container nginx.conf on the container's TCP ports (80 by default)",
            r => r.Name.StartsWith("nginx", StringComparison.Ordinal), ResolveNginx),
        new("busybox*", "CMD [\"sh\"]", "the host's programs: sh is /bin/sh",
            r => r.Name.StartsWith("busybox", StringComparison.Ordinal), request => ResolveShell(request, ["sh"], "busybox")),
        new("alpine*", "CMD [\"/bin/sh\"]", "the host's programs: /bin/sh",
            r => r.Name.StartsWith("alpine", StringComparison.Ordinal), request => ResolveShell(request, ["/bin/sh"], "alpine")),
        new("*netshoot*", "CMD [\"zsh\"]", "the host's programs: zsh, or bash (then sh) when zsh is not installed",
            r => r.Repository.Contains("netshoot", StringComparison.Ordinal), request => ResolveShell(request, ["zsh"], "netshoot")),
        new("curl*", "ENTRYPOINT [\"/entrypoint.sh\"] CMD [\"curl\"]",
            "the host's curl (arguments that start with - or are not programs go to curl, as the image's entrypoint does)",
            r => r.Name.StartsWith("curl", StringComparison.Ordinal), ResolveCurl),
        new("any other image, with a command", "-", "the pod's command as given, found along PATH",
            _ => true, ResolveOther),
    ];

    /// <summary>Decides how a container of <paramref name="pod"/> runs.</summary>
    public static ImageResolution Resolve(V1Pod pod, V1Container container, ImageContext context)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(container.Image))
        {
            return new NotRunnable("InvalidImageName", $"Failed to apply default image tag \"{container.Image}\": image name is empty");
        }

        var reference = ImageReference.Parse(container.Image);
        var request = new ImageRequest(pod, container, reference, context);
        // The last rule matches every image (a command as given, or ErrImageNeverPull).
        return Rules.First(rule => rule.Matches(reference)).Resolve(request);
    }

    /// <summary>The kubelet's answer for an image that is not present and may not be pulled.</summary>
    public static NotRunnable NeverPull(string image) =>
        new(ErrImageNeverPull, $"Container image \"{image}\" is not present with pull policy of Never");

    /// <summary>
    /// The argv a container runs (kuberuntime and the CRI): <c>command</c> replaces ENTRYPOINT and CMD is dropped,
    /// then <c>args</c> are appended; with only <c>args</c>, they replace CMD.
    /// </summary>
    public static IReadOnlyList<string> EffectiveArgv(IReadOnlyList<string> entrypoint, IReadOnlyList<string> cmd, V1Container container)
    {
        var command = container.Command ?? [];
        var args = container.Args ?? [];
        if (command.Count > 0)
        {
            return [.. command, .. args];
        }

        return args.Count > 0 ? [.. entrypoint, .. args] : [.. entrypoint, .. cmd];
    }

    private static ImageResolution ResolveStrata(ImageRequest request)
    {
        string role = request.Reference.Name;
        var argv = EffectiveArgv(["strata"], ["agent", "--roles", role], request.Container);
        if (Path.GetFileName(argv[0]) == "strata")
        {
            return Program(request, request.Context.StrataPath, "strata", argv.Skip(1), "the strata executable", strata: true);
        }

        return AsGiven(request, argv, "the pod's command, as given");
    }

    private static ImageResolution ResolveAgnhost(ImageRequest request)
    {
        var argv = EffectiveArgv(["/agnhost"], ["pause"], request.Container);
        if (Path.GetFileName(argv[0]) != "agnhost")
        {
            return AsGiven(request, argv, "the pod's command, as given");
        }

        string? subcommand = argv.Count > 1 ? argv[1] : null;
        if (subcommand is not null && !subcommand.StartsWith('-') && !AgnhostSubcommands.Contains(subcommand))
        {
            return new NotRunnable(CreateContainerError,
                $"agnhost subcommand \"{subcommand}\" is not implemented by Strata (it implements {string.Join(", ", AgnhostSubcommands)})");
        }

        return Program(request, request.Context.StrataPath, "agnhost", ["agnhost", .. argv.Skip(1)], "Strata's agnhost", strata: true);
    }

    private static ImageResolution ResolvePause(ImageRequest request)
    {
        var argv = EffectiveArgv(["/pause"], [], request.Container);
        if (Path.GetFileName(argv[0]) != "pause")
        {
            return AsGiven(request, argv, "the pod's command, as given");
        }

        return Program(request, request.Context.StrataPath, "pause", ["agnhost", "pause-image", .. argv.Skip(1)], "Strata's pause", strata: true);
    }

    private static ImageResolution ResolveNginx(ImageRequest request)
    {
        var argv = EffectiveArgv(["/docker-entrypoint.sh"], ["nginx", "-g", "daemon off;"], request.Container);
        if (argv[0] != "/docker-entrypoint.sh")
        {
            return AsGiven(request, argv, "the pod's command, as given", ContainerSignals.SIGQUIT);
        }

        // The image's entrypoint runs its configuration scripts when the command is nginx, then execs the command.
        var command = argv.Skip(1).ToList();
        if (command.Count == 0)
        {
            return AsGiven(request, [""], "the image's entrypoint with no command");
        }

        if (command[0] is not ("nginx" or "nginx-debug"))
        {
            return AsGiven(request, command, "the pod's arguments, run by the image's entrypoint", ContainerSignals.SIGQUIT);
        }

        var ports = TcpPorts(request.Container);
        string directory = Path.Combine(request.Context.PodDirectory, request.Container.Name);
        string configPath = Path.Combine(directory, "nginx.conf");
        var config = new ContainerFile(configPath, NginxConfig.Render(new NginxSite(ports, directory)));
        string? nginx = request.Context.FindExecutable("nginx");
        string note = $"Debian's nginx with the image's configuration, listening on {string.Join(", ", ports)}";
        if (nginx is null)
        {
            return NotFound(request, "nginx", ["-c", configPath, .. command.Skip(1)], note, [config], ContainerSignals.SIGQUIT);
        }

        return Program(request, nginx, "nginx", ["-c", configPath, .. command.Skip(1)], note, [config], ContainerSignals.SIGQUIT);
    }

    private static ImageResolution ResolveShell(ImageRequest request, IReadOnlyList<string> cmd, string image)
    {
        var argv = EffectiveArgv([], cmd, request.Container).ToList();
        string note = request.Container.Command is { Count: > 0 } || request.Container.Args is { Count: > 0 }
            ? $"the pod's command with the host's programs for {image}"
            : $"the {image} image's shell, with the host's programs";
        if (argv[0] is "zsh" or "/bin/zsh" && request.Context.FindExecutable(argv[0]) is null)
        {
            string shell = request.Context.FindExecutable("bash") is not null ? "bash" : "sh";
            argv[0] = shell;
            note += $" (zsh is not installed: {shell})";
        }

        return AsGiven(request, argv, note);
    }

    private static ImageResolution ResolveCurl(ImageRequest request)
    {
        var argv = EffectiveArgv(["/entrypoint.sh"], ["curl"], request.Container).ToList();
        if (argv[0] != "/entrypoint.sh")
        {
            return AsGiven(request, argv, "the pod's command, as given");
        }

        // The image's entrypoint: an option, or a word that is not a program, is an argument to curl.
        var command = argv.Skip(1).ToList();
        if (command.Count == 0 || command[0].StartsWith('-') || request.Context.FindExecutable(command[0]) is null)
        {
            command.Insert(0, "curl");
        }

        return AsGiven(request, command, "the host's curl and programs, as the curl image's entrypoint runs them");
    }

    private static ImageResolution ResolveOther(ImageRequest request)
    {
        if (request.Container.Command is not { Count: > 0 } command)
        {
            return NeverPull(request.Container.Image);
        }

        return AsGiven(request, [.. command, .. request.Container.Args ?? []],
            "this image is not on the node; the pod's command runs as given with the host's programs");
    }

    private static IReadOnlyList<int> TcpPorts(V1Container container)
    {
        var ports = (container.Ports ?? [])
            .Where(p => p.Protocol is null || string.Equals(p.Protocol, "TCP", StringComparison.OrdinalIgnoreCase))
            .Select(p => p.ContainerPort)
            .Distinct()
            .ToList();
        return ports.Count > 0 ? ports : [80];
    }

    private static RunnableContainer AsGiven(ImageRequest request, IReadOnlyList<string> argv, string note, int stopSignal = ContainerSignals.SIGTERM)
    {
        string name = argv[0];
        string? executable = request.Context.FindExecutable(name);
        return executable is null
            ? NotFound(request, name, argv.Skip(1), note, [], stopSignal)
            : Program(request, executable, name, argv.Skip(1), note, [], stopSignal);
    }

    private static RunnableContainer Program(
        ImageRequest request, string executable, string argumentZero, IEnumerable<string> arguments, string note,
        IReadOnlyList<ContainerFile>? files = null, int stopSignal = ContainerSignals.SIGTERM, bool strata = false)
    {
        var args = arguments.ToList();
        string description = $"{request.Container.Image} → {ShellWords.Join([executable, .. args])} ({note})";
        IReadOnlyList<string> environment = strata ? [.. ImageEnvironment, .. request.Context.StrataEnvironment] : ImageEnvironment;
        return new RunnableContainer(executable, argumentZero, args, environment, files ?? [], description, null, stopSignal);
    }

    private static RunnableContainer NotFound(
        ImageRequest request, string name, IEnumerable<string> arguments, string note,
        IReadOnlyList<ContainerFile> files, int stopSignal)
    {
        var args = arguments.ToList();
        string description = $"{request.Container.Image} → {ShellWords.Join([name, .. args])} ({note}; \"{name}\" is not on this node)";
        return new RunnableContainer(name, name, args, ImageEnvironment, files, description,
            ContainerStartErrors.ExecutableNotFound(name), stopSignal);
    }
}

/// <summary>One row of the image table.</summary>
/// <param name="Pattern">Which images the row is for.</param>
/// <param name="Image">What the upstream image runs (its ENTRYPOINT and CMD).</param>
/// <param name="Runs">What runs on the node instead.</param>
public sealed record ImageRule(
    string Pattern,
    string Image,
    string Runs,
    Func<ImageReference, bool> Matches,
    Func<ImageRequest, ImageResolution> Resolve);

/// <summary>What a rule decides from.</summary>
public sealed record ImageRequest(V1Pod Pod, V1Container Container, ImageReference Reference, ImageContext Context);
