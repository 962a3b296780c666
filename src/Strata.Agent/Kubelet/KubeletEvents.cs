namespace Strata.Agent.Kubelet;

/// <summary>The kubelet's event reasons and messages (pkg/kubelet/events and the places that record them).</summary>
public static class KubeletEvents
{
    public const string FailedCreatePodSandBox = "FailedCreatePodSandBox";
    public const string FailedMount = "FailedMount";
    public const string NetworkNotReady = "NetworkNotReady";
    public const string Pulled = "Pulled";
    public const string Created = "Created";
    public const string Started = "Started";
    public const string Killing = "Killing";
    public const string BackOff = "BackOff";
    public const string Failed = "Failed";
    public const string Unhealthy = "Unhealthy";

    public static string SandboxNetworkFailure(string sandboxId, string pluginMessage) =>
        $"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"{sandboxId}\": {pluginMessage}";

    public static string SandboxFailure(string message) =>
        $"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to create sandbox: {message}";

    public static string NetworkNotReadyMessage(string detail) => $"network is not ready: {detail}";

    public static string ImagePresent(string image) => $"Container image \"{image}\" already present on machine";

    public static string CreatedContainer(string name) => $"Created container {name}";

    public static string StartedContainer(string name) => $"Started container {name}";

    public static string StoppingContainer(string name) => $"Stopping container {name}";

    public static string ProbeKill(string name, string probe) => $"Container {name} failed {probe} probe, will be restarted";

    public static string BackOffRestarting(string container, string pod, string ns, string uid) =>
        $"Back-off restarting failed container {container} in pod {pod}_{ns}({uid})";

    public static string CrashLoopMessage(string delay, string container, string pod, string ns, string uid) =>
        $"back-off {delay} restarting failed container={container} pod={pod}_{ns}({uid})";

    public static string ProbeFailed(string probe, string output) => $"{probe} probe failed: {output}";
}
