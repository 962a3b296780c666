namespace Strata.Lab;

/// <summary>One bind mount of a node's mount namespace: a per-node path in the state directory over a standard path.</summary>
public sealed record NodeMount(string Source, string Target, bool IsFile);

/// <summary>
/// Where a node's files live in the state directory, and which standard paths they cover inside
/// the node's mount namespace, so plugins and agents use the usual paths unchanged. Pure.
/// </summary>
public sealed record NodeLayout(string StateDirectory, string Node)
{
    public static readonly IReadOnlyList<(string Relative, string Target, bool IsFile)> Table =
    [
        ("cni/net.d", "/etc/cni/net.d", false),
        ("cni/bin", "/opt/cni/bin", false),
        ("cni/lib", "/var/lib/cni", false),
        ("flannel", "/run/flannel", false),
        ("xtables.lock", "/run/xtables.lock", true),
        ("kubelet", "/var/lib/kubelet", false),
        ("pod-logs", "/var/log/pods", false),
        ("netns", "/run/netns", false),
    ];

    public string Directory => Path.Combine(StateDirectory, "nodes", Node);

    /// <summary>Where the node's agent and its DaemonSets (a hostPath volume) read the node's kubeconfig: kops's path.</summary>
    public const string KubeconfigInNode = "/var/lib/kubelet/kubeconfig";

    /// <summary>The node's kubeconfig, seen as <see cref="KubeconfigInNode"/> inside the node.</summary>
    public string Kubeconfig => Path.Combine(Directory, "kubelet", "kubeconfig");

    public string CniConfigDirectory => Path.Combine(Directory, "cni", "net.d");

    public string CniBinDirectory => Path.Combine(Directory, "cni", "bin");

    /// <summary>The persistent mount namespace file.</summary>
    public string MountNamespace => Path.Combine(StateDirectory, "ns", Node + ".mnt");

    public string Log => LabPaths.Log(StateDirectory, Node);

    public IReadOnlyList<NodeMount> Mounts => [.. Table.Select(m => new NodeMount(Path.Combine(Directory, m.Relative), m.Target, m.IsFile))];
}

/// <summary>The lab-wide paths in the state directory.</summary>
public static class LabPaths
{
    public static string NamespaceDirectory(string stateDirectory) => Path.Combine(stateDirectory, "ns");

    public static string Logs(string stateDirectory) => Path.Combine(stateDirectory, "logs");

    public static string ApiServerData(string stateDirectory) => Path.Combine(stateDirectory, "apiserver");

    public static string Kubeconfig(string stateDirectory) => Path.Combine(stateDirectory, "kubeconfig");

    public static string Log(string stateDirectory, string component) => Path.Combine(Logs(stateDirectory), component + ".log");
}
