using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Strata.Proxy.Model;

namespace Strata.Proxy.Iptables;

/// <summary>The iptables-restore payload of one sync, and what it keeps.</summary>
public sealed record IptablesPayload(string Text, IReadOnlySet<string> ActiveNatChains, int FilterRules, int NatRules, int DeletedChains);

/// <summary>
/// The iptables mode's renderer: the desired state to the <c>iptables-restore --noflush</c> payload kube-proxy writes
/// (pkg/proxy/iptables/proxier.go, syncProxyRules), rule for rule. Pure: it reads nothing but its arguments.
/// </summary>
public static class IptablesRenderer
{
    /// <summary>Above this many endpoints kube-proxy drops the per-endpoint comments ("large cluster mode").</summary>
    public const int LargeClusterEndpointsThreshold = 1000;

    private const string NodePortsComment = "\"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"";
    private const string CtStateInvalidCounter = "ct_state_invalid_dropped_pkts";
    private const string LocalhostNodePortCounter = "localhost_nps_accepted_pkts";

    /// <param name="model">The desired state.</param>
    /// <param name="options">The node's settings.</param>
    /// <param name="changedServices">For a partial sync, the Services (<c>ns/name</c>) whose nat chains are rewritten; null for a full sync.</param>
    /// <param name="existingNatChains">The nat chains iptables-save shows, so that stale Service chains are deleted; null to skip that.</param>
    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IptablesPayload Render(
        ProxyModel model,
        IptablesRenderOptions options,
        IReadOnlySet<string>? changedServices = null,
        IReadOnlySet<string>? existingNatChains = null)
    {
        var mark = options.MasqueradeMark;
        var filterChains = new Lines();
        var filterRules = new Lines();
        var natChains = new Lines();
        var natRules = new Lines();
        var skipped = new Lines();
        var largeCluster = model.TotalEndpoints > LargeClusterEndpointsThreshold;

        foreach (var chain in (string[])[ChainNames.Services, ChainNames.ExternalServices, ChainNames.Forward, ChainNames.NodePorts, ChainNames.ProxyFirewall])
        {
            filterChains.Chain(chain);
        }

        foreach (var chain in (string[])[ChainNames.Services, ChainNames.NodePorts, ChainNames.Postrouting, ChainNames.MarkMasq])
        {
            natChains.Chain(chain);
        }

        natRules.Add("-A", ChainNames.Postrouting, "-m", "mark", "!", "--mark", $"{mark}/{mark}", "-j", "RETURN");
        natRules.Add("-A", ChainNames.Postrouting, "-j", "MARK", "--xor-mark", mark);
        natRules.Add(options.RandomFully
            ? ["-A", ChainNames.Postrouting, "-m", "comment", "--comment", "\"kubernetes service traffic requiring SNAT\"", "-j", "MASQUERADE", "--random-fully"]
            : ["-A", ChainNames.Postrouting, "-m", "comment", "--comment", "\"kubernetes service traffic requiring SNAT\"", "-j", "MASQUERADE"]);
        natRules.Add("-A", ChainNames.MarkMasq, "-j", "MARK", "--or-mark", mark);

        if (options.LocalhostNodePorts)
        {
            filterChains.Chain(ChainNames.KubeletFirewall);
            filterRules.Add(
                "-A", ChainNames.KubeletFirewall, "-m", "comment", "--comment", "\"block incoming localnet connections\"",
                "-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP");
        }

        var active = new HashSet<string>(StringComparer.Ordinal);
        foreach (var plan in model.Services)
        {
            var rewrite = changedServices is null || changedServices.Contains(plan.Info.Name.ServiceKey);
            WriteService(plan, options, largeCluster, filterRules, rewrite ? natChains : skipped, rewrite ? natRules : skipped, natRules, active);
        }

        var deleted = 0;
        if (existingNatChains is not null)
        {
            foreach (var chain in existingNatChains.Where(c => ChainNames.IsServiceChain(c) && !active.Contains(c)).Order(StringComparer.Ordinal))
            {
                natChains.Chain(chain);
                natRules.Add("-X", chain);
                deleted++;
            }
        }

        if (options.NodePortAddresses is null)
        {
            natRules.Add(options.LocalhostNodePorts
                ? ["-A", ChainNames.Services, "-m", "comment", "--comment", NodePortsComment, "-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainNames.NodePorts]
                : ["-A", ChainNames.Services, "-m", "comment", "--comment", NodePortsComment, "-m", "addrtype", "--dst-type", "LOCAL", "!", "-d", "127.0.0.0/8", "-j", ChainNames.NodePorts]);
        }
        else
        {
            foreach (var ip in options.NodePortAddresses)
            {
                if (System.Net.IPAddress.IsLoopback(ip) && !options.LocalhostNodePorts)
                {
                    continue;
                }

                natRules.Add("-A", ChainNames.Services, "-m", "comment", "--comment", NodePortsComment, "-d", ip.ToString(), "-j", ChainNames.NodePorts);
            }
        }

        if (!options.ConntrackTcpLiberal)
        {
            filterRules.Add(options.NfacctCounters
                ? ["-A", ChainNames.Forward, "-m", "conntrack", "--ctstate", "INVALID", "-m", "nfacct", "--nfacct-name", CtStateInvalidCounter, "-j", "DROP"]
                : ["-A", ChainNames.Forward, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"]);
        }

        filterRules.Add("-A", ChainNames.Forward, "-m", "comment", "--comment", "\"kubernetes forwarding rules\"", "-m", "mark", "--mark", $"{mark}/{mark}", "-j", "ACCEPT");
        filterRules.Add(
            "-A", ChainNames.Forward, "-m", "comment", "--comment", "\"kubernetes forwarding conntrack rule\"",
            "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT");

        var text = new StringBuilder(filterChains.Length + filterRules.Length + natChains.Length + natRules.Length + 32);
        text.Append("*filter\n").Append(filterChains.Builder).Append(filterRules.Builder).Append("COMMIT\n");
        text.Append("*nat\n").Append(natChains.Builder).Append(natRules.Builder).Append("COMMIT\n");
        return new IptablesPayload(text.ToString(), active, filterRules.Count, natRules.Count, deleted);
    }

    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteService(
        ServicePlan plan,
        IptablesRenderOptions options,
        bool largeCluster,
        Lines filterRules,
        Lines natChains,
        Lines natRules,
        Lines topLevelNatRules,
        HashSet<string> active)
    {
        var svc = plan.Info;
        var name = svc.Name.ToString();
        var protocol = svc.Protocol.ToLowerInvariant();
        var port = svc.Port.ToString(CultureInfo.InvariantCulture);
        var clusterPolicyChain = ChainNames.ClusterPolicy(name, protocol);
        var localPolicyChain = ChainNames.LocalPolicy(name, protocol);
        var externalChain = ChainNames.External(name, protocol);
        var fwChain = ChainNames.Firewall(name, protocol);
        var hasEndpoints = plan.HasEndpoints;
        var usesClusterPolicyChain = plan.ClusterEndpoints.Count > 0 && svc.UsesClusterEndpoints;
        var usesLocalPolicyChain = plan.LocalEndpoints.Count > 0 && svc.UsesLocalEndpoints;

        var internalChain = svc.InternalPolicyLocal ? localPolicyChain : clusterPolicyChain;
        var hasInternalEndpoints = hasEndpoints && !(svc.InternalPolicyLocal && plan.LocalEndpoints.Count == 0);
        var externalPolicyChain = svc.ExternalPolicyLocal ? localPolicyChain : clusterPolicyChain;
        var hasExternalEndpoints = hasEndpoints && !(svc.ExternalPolicyLocal && plan.LocalEndpoints.Count == 0);
        var usesExternalChain = hasEndpoints && svc.ExternallyAccessible;
        var usesFwChain = hasEndpoints && svc.LoadBalancerVIPs.Count > 0 && svc.LoadBalancerSourceRanges.Count > 0;
        var loadBalancerChain = usesFwChain ? fwChain : externalChain;

        string internalFilterTarget = "", internalFilterComment = "", externalFilterTarget = "", externalFilterComment = "";
        if (!hasEndpoints)
        {
            internalFilterTarget = externalFilterTarget = "REJECT";
            internalFilterComment = externalFilterComment = $"\"{name} has no endpoints\"";
        }
        else
        {
            if (!hasInternalEndpoints)
            {
                internalFilterTarget = "DROP";
                internalFilterComment = $"\"{name} has no local endpoints\"";
            }

            if (!hasExternalEndpoints)
            {
                externalFilterTarget = "DROP";
                externalFilterComment = $"\"{name} has no local endpoints\"";
            }
        }

        // The top-level captures go to KUBE-SERVICES and KUBE-NODEPORTS even in a partial sync.
        var clusterIP = svc.ClusterIP.ToString();
        if (hasInternalEndpoints)
        {
            topLevelNatRules.Add("-A", ChainNames.Services, "-m", "comment", "--comment", $"\"{name} cluster IP\"", "-m", protocol, "-p", protocol, "-d", clusterIP, "--dport", port, "-j", internalChain);
        }
        else
        {
            filterRules.Add("-A", ChainNames.Services, "-m", "comment", "--comment", internalFilterComment, "-m", protocol, "-p", protocol, "-d", clusterIP, "--dport", port, "-j", internalFilterTarget);
        }

        foreach (var externalIP in svc.ExternalIPs)
        {
            if (hasEndpoints)
            {
                topLevelNatRules.Add("-A", ChainNames.Services, "-m", "comment", "--comment", $"\"{name} external IP\"", "-m", protocol, "-p", protocol, "-d", externalIP.ToString(), "--dport", port, "-j", externalChain);
            }

            if (!hasExternalEndpoints)
            {
                filterRules.Add("-A", ChainNames.ExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", protocol, "-p", protocol, "-d", externalIP.ToString(), "--dport", port, "-j", externalFilterTarget);
            }
        }

        foreach (var vip in svc.LoadBalancerVIPs)
        {
            if (hasEndpoints)
            {
                topLevelNatRules.Add("-A", ChainNames.Services, "-m", "comment", "--comment", $"\"{name} loadbalancer IP\"", "-m", protocol, "-p", protocol, "-d", vip.ToString(), "--dport", port, "-j", loadBalancerChain);
            }

            if (usesFwChain)
            {
                filterRules.Add("-A", ChainNames.ProxyFirewall, "-m", "comment", "--comment", $"\"{name} traffic not accepted by {fwChain}\"", "-m", protocol, "-p", protocol, "-d", vip.ToString(), "--dport", port, "-j", "DROP");
            }
        }

        if (!hasExternalEndpoints)
        {
            foreach (var vip in svc.LoadBalancerVIPs)
            {
                filterRules.Add("-A", ChainNames.ExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", protocol, "-p", protocol, "-d", vip.ToString(), "--dport", port, "-j", externalFilterTarget);
            }
        }

        if (svc.NodePort != 0)
        {
            var nodePort = svc.NodePort.ToString(CultureInfo.InvariantCulture);
            if (hasEndpoints)
            {
                if (options.LocalhostNodePorts && options.NfacctCounters)
                {
                    topLevelNatRules.Add("-A", ChainNames.NodePorts, "-m", "comment", "--comment", name, "-m", protocol, "-p", protocol, "-d", "127.0.0.0/8", "--dport", nodePort, "-m", "nfacct", "--nfacct-name", LocalhostNodePortCounter, "-j", externalChain);
                }

                topLevelNatRules.Add("-A", ChainNames.NodePorts, "-m", "comment", "--comment", name, "-m", protocol, "-p", protocol, "--dport", nodePort, "-j", externalChain);
            }

            if (!hasExternalEndpoints)
            {
                filterRules.Add("-A", ChainNames.ExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", "addrtype", "--dst-type", "LOCAL", "-m", protocol, "-p", protocol, "--dport", nodePort, "-j", externalFilterTarget);
            }
        }

        if (svc.HealthCheckNodePort != 0)
        {
            filterRules.Add("-A", ChainNames.NodePorts, "-m", "comment", "--comment", $"\"{name} health check node port\"", "-m", "tcp", "-p", "tcp", "--dport", svc.HealthCheckNodePort.ToString(CultureInfo.InvariantCulture), "-j", "ACCEPT");
        }

        if (hasInternalEndpoints)
        {
            string[] match = ["-m", "comment", "--comment", $"\"{name} cluster IP\"", "-m", protocol, "-p", protocol, "-d", clusterIP, "--dport", port];
            if (options.MasqueradeAll)
            {
                natRules.Add(["-A", internalChain, .. match, "-j", ChainNames.MarkMasq]);
            }
            else if (options.ClusterCidr is { } cidr)
            {
                // Off-cluster traffic to a cluster IP (a static route to the Service range) may bounce off-node: SNAT it.
                natRules.Add(["-A", internalChain, .. match, "!", "-s", cidr.ToString(), "-j", ChainNames.MarkMasq]);
            }
        }

        if (usesExternalChain)
        {
            natChains.Chain(externalChain);
            active.Add(externalChain);
            if (!svc.ExternalPolicyLocal)
            {
                natRules.Add("-A", externalChain, "-m", "comment", "--comment", $"\"masquerade traffic for {name} external destinations\"", "-j", ChainNames.MarkMasq);
            }
            else
            {
                if (options.ClusterCidr is { } cidr)
                {
                    natRules.Add("-A", externalChain, "-m", "comment", "--comment", $"\"pod traffic for {name} external destinations\"", "-s", cidr.ToString(), "-j", clusterPolicyChain);
                }

                natRules.Add("-A", externalChain, "-m", "comment", "--comment", $"\"masquerade LOCAL traffic for {name} external destinations\"", "-m", "addrtype", "--src-type", "LOCAL", "-j", ChainNames.MarkMasq);
                natRules.Add("-A", externalChain, "-m", "comment", "--comment", $"\"route LOCAL traffic for {name} external destinations\"", "-m", "addrtype", "--src-type", "LOCAL", "-j", clusterPolicyChain);
            }

            if (hasExternalEndpoints)
            {
                natRules.Add("-A", externalChain, "-j", externalPolicyChain);
            }
        }

        if (usesFwChain)
        {
            natChains.Chain(fwChain);
            active.Add(fwChain);
            var allowFromNode = false;
            foreach (var range in svc.LoadBalancerSourceRanges)
            {
                natRules.Add("-A", fwChain, "-m", "comment", "--comment", $"\"{name} loadbalancer IP\"", "-s", range.ToString(), "-j", externalChain);
                allowFromNode |= options.NodeIP is { } nodeIP && range.Contains(nodeIP);
            }

            // A VIP held locally makes a node's own request arrive from the VIP itself.
            if (allowFromNode)
            {
                foreach (var vip in svc.LoadBalancerVIPs)
                {
                    natRules.Add("-A", fwChain, "-m", "comment", "--comment", $"\"{name} loadbalancer IP\"", "-s", vip.ToString(), "-j", externalChain);
                }
            }

            natRules.Add("-A", fwChain, "-m", "comment", "--comment", $"\"other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL\"");
        }

        // Each endpoint's ip:port and chain name, computed once (upstream keeps them in its endpointInfo).
        var named = new Dictionary<EndpointInfo, NamedEndpoint>(ReferenceEqualityComparer.Instance);
        NamedEndpoint Naming(EndpointInfo endpoint)
        {
            if (!named.TryGetValue(endpoint, out var found))
            {
                var text = endpoint.ToString();
                found = new NamedEndpoint(text, ChainNames.Endpoint(name, protocol, text));
                named[endpoint] = found;
            }

            return found;
        }

        if (usesClusterPolicyChain)
        {
            natChains.Chain(clusterPolicyChain);
            active.Add(clusterPolicyChain);
            WriteServiceToEndpointRules(natRules, name, svc, clusterPolicyChain, plan.ClusterEndpoints, largeCluster, Naming);
        }

        if (usesLocalPolicyChain)
        {
            natChains.Chain(localPolicyChain);
            active.Add(localPolicyChain);
            WriteServiceToEndpointRules(natRules, name, svc, localPolicyChain, plan.LocalEndpoints, largeCluster, Naming);
        }

        foreach (var endpoint in plan.AllReachableEndpoints)
        {
            var (text, endpointChain) = Naming(endpoint);
            natChains.Chain(endpointChain);
            active.Add(endpointChain);
            if (largeCluster)
            {
                natRules.Add("-A", endpointChain, "-s", endpoint.Ip, "-j", ChainNames.MarkMasq);
                natRules.Add(svc.SessionAffinityClientIP
                    ? ["-A", endpointChain, "-m", "recent", "--name", endpointChain, "--set", "-m", protocol, "-p", protocol, "-j", "DNAT", "--to-destination", text]
                    : ["-A", endpointChain, "-m", protocol, "-p", protocol, "-j", "DNAT", "--to-destination", text]);
            }
            else
            {
                natRules.Add("-A", endpointChain, "-m", "comment", "--comment", name, "-s", endpoint.Ip, "-j", ChainNames.MarkMasq);
                natRules.Add(svc.SessionAffinityClientIP
                    ? ["-A", endpointChain, "-m", "comment", "--comment", name, "-m", "recent", "--name", endpointChain, "--set", "-m", protocol, "-p", protocol, "-j", "DNAT", "--to-destination", text]
                    : ["-A", endpointChain, "-m", "comment", "--comment", name, "-m", protocol, "-p", protocol, "-j", "DNAT", "--to-destination", text]);
            }
        }
    }

    private readonly record struct NamedEndpoint(string Text, string Chain);

    // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteServiceToEndpointRules(
        Lines natRules, string name, ServicePortInfo svc, string chain, IReadOnlyList<EndpointInfo> endpoints, bool largeCluster, Func<EndpointInfo, NamedEndpoint> named)
    {
        if (svc.SessionAffinityClientIP)
        {
            var seconds = svc.StickyMaxAgeSeconds.ToString(CultureInfo.InvariantCulture);
            foreach (var endpoint in endpoints)
            {
                var (text, endpointChain) = named(endpoint);
                natRules.Add([.. Head(chain, name, text, largeCluster), "-m", "recent", "--name", endpointChain, "--rcheck", "--seconds", seconds, "--reap", "-j", endpointChain]);
            }
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            var (text, endpointChain) = named(endpoints[i]);
            natRules.Add(i < endpoints.Count - 1
                ? [.. Head(chain, name, text, largeCluster), "-m", "statistic", "--mode", "random", "--probability", Probability(endpoints.Count - i), "-j", endpointChain]
                : [.. Head(chain, name, text, largeCluster), "-j", endpointChain]);
        }
    }

    private static string[] Head(string chain, string name, string endpoint, bool largeCluster) =>
        largeCluster ? ["-A", chain] : ["-A", chain, "-m", "comment", "--comment", $"\"{name} -> {endpoint}\""];

    /// <summary>1/n with ten decimals, as Go's <c>%0.10f</c> (iptables-save then shows the kernel's rounding, 0.33333333349).</summary>
    public static string Probability(int n) => n < Probabilities.Length ? Probabilities[n] : Format(n);

    private static readonly string[] Probabilities = [.. Enumerable.Range(0, 257).Select(n => n == 0 ? "" : Format(n))];

    private static string Format(int n) => (1.0 / n).ToString("F10", CultureInfo.InvariantCulture);

    /// <summary>upstream's LineBuffer: words joined by single spaces, one rule per line.</summary>
    private sealed class Lines
    {
        private readonly StringBuilder _text = new();

        public int Count { get; private set; }

        public int Length => _text.Length;

        public StringBuilder Builder => _text;

        public void Chain(string chain) => _text.Append(':').Append(chain).Append(" - [0:0]\n");

        // Fully optimised at its first call: the first full sync runs it once, before tiered JIT would (docs/notes/proxy.md).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(params ReadOnlySpan<string> words)
        {
            for (var i = 0; i < words.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(' ');
                }

                _text.Append(words[i]);
            }

            _text.Append('\n');
            Count++;
        }
    }
}
