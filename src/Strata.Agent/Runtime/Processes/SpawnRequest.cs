using System.Runtime.InteropServices;

namespace Strata.Agent.Runtime;

/// <summary>A program to start inside a pod's (or node's) namespaces, as a container runtime starts a container's process.</summary>
public sealed class SpawnRequest
{
    /// <summary>The program's path; <see cref="ProcessSpawner.FindExecutable"/> resolves a bare name on PATH.</summary>
    public required string Path { get; init; }

    /// <summary>argv[1..].</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>argv[0]; the path when null.</summary>
    public string? ArgumentZero { get; init; }

    /// <summary>Exactly these <c>KEY=value</c> entries: nothing is inherited from the agent.</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>The directory the program starts in, seen from its own mount namespace; <c>/</c> when null.</summary>
    public string? WorkingDirectory { get; init; }

    public NamespacePaths Namespaces { get; init; } = NamespacePaths.Current;

    /// <summary>The child's stdin; /dev/null when null.</summary>
    public SafeHandle? StandardInput { get; init; }

    /// <summary>The child's stdout; /dev/null when null.</summary>
    public SafeHandle? StandardOutput { get; init; }

    /// <summary>The child's stderr (it may be the stdout handle); /dev/null when null.</summary>
    public SafeHandle? StandardError { get; init; }

    /// <summary>A pseudo-terminal's slave path: it becomes the child's controlling terminal and its fds 0, 1 and 2.</summary>
    public string? Terminal { get; init; }
}

/// <summary>The program could not be started: errno and a message such as <c>exec /bin/x: No such file or directory</c>.</summary>
public sealed class SpawnException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}
