using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Kubelet;

/// <summary>The kubelet role's settings: the agent's options plus the intervals tests shorten.</summary>
public sealed record KubeletConfig
{
    public required string NodeName { get; init; }

    public required string NodeIp { get; init; }

    public required string RootDir { get; init; }

    public required string PodLogsDir { get; init; }

    public required string CniConfDir { get; init; }

    public required string CniBinDir { get; init; }

    public required string CniCacheDir { get; init; }

    public int Port { get; init; } = 10250;

    public string? ClusterDns { get; init; }

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The node's netns when the agent does not run inside it (tests): plugins, hostNetwork pods and probes use it.</summary>
    public string? NodeNetns { get; init; }

    /// <summary>The strata executable, for images that run it.</summary>
    public string StrataBinary { get; init; } = Environment.ProcessPath ?? "strata";

    /// <summary>The node's resolv.conf and hosts, for dnsPolicy Default and hostNetwork pods.</summary>
    public string NodeResolvConf { get; init; } = "/etc/resolv.conf";

    public string NodeHostsFile { get; init; } = "/etc/hosts";

    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the CNI conf dir is looked at (Ready flips within this once a conflist appears).</summary>
    public TimeSpan NetworkPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public CrashLoopBackOff BackOff { get; init; } = CrashLoopBackOff.Default;

    /// <summary>The longest wait between two attempts at a pod's sandbox.</summary>
    public TimeSpan SandboxMaxBackOff { get; init; } = TimeSpan.FromSeconds(30);

    public static KubeletConfig From(AgentOptions options) => new()
    {
        NodeName = options.NodeName,
        NodeIp = options.NodeIp,
        RootDir = options.RootDir,
        PodLogsDir = options.PodLogsDir,
        CniConfDir = options.CniConfDir,
        CniBinDir = options.CniBinDir,
        CniCacheDir = options.CniCacheDir,
        Port = options.Port,
        ClusterDns = string.IsNullOrEmpty(options.ClusterDns) ? null : options.ClusterDns,
        ClusterDomain = options.ClusterDomain,
    };
}
