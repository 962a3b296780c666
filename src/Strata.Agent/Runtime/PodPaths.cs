namespace Strata.Agent.Runtime;

/// <summary>Where the runtime keeps a pod's files (the kubelet's root dir layout, and /var/log/pods as the CRI names it).</summary>
public sealed record PodPaths(string RootDir, string PodLogsDir)
{
    public string PodsDirectory => Path.Combine(RootDir, "pods");

    public string PodDirectory(string uid) => Path.Combine(PodsDirectory, uid);

    /// <summary>The pod's own resolv.conf, hosts and hostname, bind-mounted over /etc in its mount namespace.</summary>
    public string EtcDirectory(string uid) => Path.Combine(PodDirectory(uid), "etc");

    /// <summary>Where the pod's namespace holder is recorded.</summary>
    public string NamespaceDirectory(string uid) => Path.Combine(PodDirectory(uid), "ns");

    /// <summary>Files an image asks for (an nginx configuration, …).</summary>
    public string VolumeDirectory(string uid) => Path.Combine(PodDirectory(uid), "files");

    /// <summary>An emptyDir volume's directory, where the kubelet keeps it: pods/&lt;uid&gt;/volumes/kubernetes.io~empty-dir/&lt;name&gt;.</summary>
    /// <summary>Where a projected volume's files are written (pkg/volume/projected's kubernetes.io~projected).</summary>
    public string ProjectedVolume(string uid, string name) => Path.Combine(PodDirectory(uid), "volumes", "kubernetes.io~projected", name);

    public string EmptyDirVolume(string uid, string name) => Path.Combine(PodDirectory(uid), "volumes", "kubernetes.io~empty-dir", name);

    /// <summary>&lt;pod-logs-dir&gt;/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;.</summary>
    public string PodLogDirectory(string ns, string name, string uid) => Path.Combine(PodLogsDir, $"{ns}_{name}_{uid}");

    /// <summary>&lt;pod-logs-dir&gt;/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restartCount&gt;.log.</summary>
    public string ContainerLog(string ns, string name, string uid, string container, int restartCount) =>
        Path.Combine(PodLogDirectory(ns, name, uid), container, $"{restartCount}.log");
}
