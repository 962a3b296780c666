namespace Strata.ApiServer;

/// <summary>Options of <c>strata apiserver</c>, validated at start (as YARP and Kestrel validate theirs).</summary>
public sealed class ApiServerOptions
{
    /// <summary>Where the database, certificates, token and kubeconfig live.</summary>
    public string DataDirectory { get; set; } = "/var/lib/strata/apiserver";

    /// <summary>Addresses to listen on (host:port); the first is the one written into the kubeconfig.</summary>
    public List<string> Listen { get; set; } = ["127.0.0.1:6443"];

    /// <summary>Already-bound listening sockets (file descriptors) to serve on too, such as ones opened inside lab namespaces.</summary>
    public List<ulong> ListenHandles { get; set; } = [];

    /// <summary>Watches end after between one and two times this, as kube-apiserver's --min-request-timeout (1800 s).</summary>
    public TimeSpan MinRequestTimeout { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>How often a watch that allows bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the change log is kept for watches to resume from (kube-apiserver compacts every 5 minutes).</summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Service ClusterIPs come from here (kube-apiserver's --service-cluster-ip-range); its first address is the kubernetes Service's.</summary>
    public string ServiceClusterIpRange { get; set; } = Allocation.ServiceIpRange.DefaultCidr;

    /// <summary>NodePorts come from here (--service-node-port-range).</summary>
    public string ServiceNodePortRange { get; set; } = Allocation.PortRange.DefaultNodePorts;

    /// <summary>The address the kubernetes Service's endpoints point at (--advertise-address); by default the first listen address.</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// Dial kubelets (for logs and exec) from sockets opened in this network namespace (a name under /run/netns or a
    /// path): the lab's API server runs on the host, and its nodes are reachable only inside the lab's underlay.
    /// </summary>
    public string? KubeletNetworkNamespace { get; set; }

    /// <summary>Store objects in this etcd (kube-apiserver's --etcd-servers, e.g. http://127.0.0.1:2379) instead of SQLite.</summary>
    public string? EtcdServers { get; set; }

    /// <summary>synchronous=FULL in SQLite: acknowledged writes survive power loss too, not only a process crash.</summary>
    public bool Durable { get; set; }

    /// <summary>
    /// The control loops to host in-process (kube-controller-manager's --controllers: "*", names, "-name"). Empty: none,
    /// the library default, so that an API server embedded in tests serves only what the test writes. The CLI's default is "*".
    /// </summary>
    public List<string> Controllers { get; set; } = [];

    /// <summary>
    /// The ServiceAccount admission plugin (kube-apiserver enables it by default): pods get a service account and the
    /// kube-api-access token volume. Off in the library, so that an API server embedded in tests stores pods as written;
    /// <c>strata apiserver</c> turns it on unless <c>--disable-admission-plugins=ServiceAccount</c>.
    /// </summary>
    public bool ServiceAccountAdmission { get; set; }

    /// <summary>--cluster-cidr of the hosted node IPAM controller.</summary>
    public string ClusterCidr { get; set; } = Strata.Controllers.NodeIpam.NodeCidrAllocator.DefaultClusterCidr;

    /// <summary>--node-cidr-mask-size of the hosted node IPAM controller.</summary>
    public int NodeCidrMaskSize { get; set; } = Strata.Controllers.NodeIpam.NodeCidrAllocator.DefaultNodeMaskSize;

    /// <summary>--load-balancer-pool of the hosted service-lb-ipam controller (none: LoadBalancer Services stay pending).</summary>
    public string? LoadBalancerPool { get; set; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("--data-dir must name a directory");
        }

        if (Listen.Count == 0 && ListenHandles.Count == 0)
        {
            throw new ArgumentException("give at least one --listen address or --listen-fd");
        }

        if (EtcdServers is not null && !Uri.TryCreate(EtcdServers, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"--etcd-servers {EtcdServers}: expected a URL such as http://127.0.0.1:2379");
        }

        try
        {
            _ = Allocation.ServiceIpRange.Parse(ServiceClusterIpRange);
            _ = Allocation.PortRange.Parse(ServiceNodePortRange);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or Strata.Controllers.NodeIpam.AllocationException)
        {
            throw new ArgumentException($"--service-cluster-ip-range {ServiceClusterIpRange} / --service-node-port-range {ServiceNodePortRange}: {e.Message}");
        }

        if (Controllers.Count > 0)
        {
            new Strata.Controllers.ControllerManagerOptions { Controllers = Controllers, ClusterCidr = ClusterCidr, NodeCidrMaskSize = NodeCidrMaskSize, LoadBalancerPool = LoadBalancerPool }.Validate();
        }

        if (AdvertiseAddress is not null && !System.Net.IPAddress.TryParse(AdvertiseAddress, out _))
        {
            throw new ArgumentException($"--advertise-address {AdvertiseAddress}: not an IP address");
        }

        if (KubeletNetworkNamespace is { } netns && !File.Exists(netns.Contains('/') ? netns : Path.Combine("/run/netns", netns)))
        {
            throw new ArgumentException($"--kubelet-netns {netns}: no such network namespace");
        }

        foreach (var address in Listen)
        {
            _ = Hosting.ListenAddress.Parse(address);
        }
    }
}
