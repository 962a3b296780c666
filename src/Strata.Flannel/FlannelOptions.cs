using System.Net;
using Strata.Flannel.Subnet;
using Strata.Netlink;

namespace Strata.Flannel;

/// <summary>The flannel role's settings (flanneld's flags that matter here).</summary>
public sealed record FlannelOptions
{
    public required string NodeName { get; init; }

    /// <summary>The node IP (flanneld's --public-ip/--iface); null takes the Node's InternalIP, as the kubelet registered it.</summary>
    public IPAddress? NodeIp { get; init; }

    /// <summary>
    /// Where the CNI configuration goes: the ConfigMap's cni-conf.json is written there as 10-flannel.conflist (what
    /// kube-flannel.yml's install-cni init container copies). Null writes none.
    /// </summary>
    public string? CniConfDir { get; init; }

    /// <summary>A net-conf.json file; null reads the ConfigMap kube-flannel/kube-flannel-cfg.</summary>
    public string? NetConfFile { get; init; }

    public string SubnetFile { get; init; } = SubnetEnv.DefaultPath;

    /// <summary>flanneld --ip-masq (kube-flannel.yml passes it).</summary>
    public bool IpMasq { get; init; } = true;

    /// <summary>How often the kernel state is checked even without a netlink event (route_network.go's routeCheck: 10 s).</summary>
    public TimeSpan Resync { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node's network namespace; null is the current one (the agent runs inside the node).</summary>
    public NetworkNamespace? Namespace { get; init; }

    /// <summary>The namespace's name under /run/netns, for the iptables commands; null runs them in the current one.</summary>
    public string? NamespaceName { get; init; }
}
