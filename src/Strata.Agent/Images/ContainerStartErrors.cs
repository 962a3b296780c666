namespace Strata.Agent.Images;

/// <summary>
/// How a container whose program cannot be executed fails with containerd and runc, which the kubelet reports as
/// the container's last state: Terminated, reason StartError, exit code 128, and containerd's wrapped runc error.
/// </summary>
public static class ContainerStartErrors
{
    /// <summary>The Terminated reason the kubelet shows (kuberuntime: the CRI's reason for a container that never started).</summary>
    public const string Reason = "StartError";

    /// <summary>The exit code containerd records for a container whose process never started.</summary>
    public const int ExitCode = 128;

    /// <summary>
    /// containerd's message when runc cannot exec the program: <c>exec: "X": executable file not found in $PATH</c>
    /// for a bare name, <c>exec: "/x": stat /x: no such file or directory</c> for a path.
    /// </summary>
    public static string ExecutableNotFound(string command)
    {
        string cause = command.Contains('/')
            ? $"exec: \"{command}\": stat {command}: no such file or directory"
            : $"exec: \"{command}\": executable file not found in $PATH";
        return Wrap(cause);
    }

    /// <summary>Wraps a runc error in containerd's layers, as the kubelet's status message shows it.</summary>
    public static string Wrap(string runcError) =>
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: " +
        $"unable to start container process: {runcError}: unknown";
}
