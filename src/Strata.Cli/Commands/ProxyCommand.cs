using System.CommandLine;
using Strata.Proxy;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Cli.Commands;

/// <summary><c>strata proxy render</c>: the rules the proxy role would program for some Services and EndpointSlices.</summary>
internal static class ProxyCommand
{
    public static Command Build()
    {
        var file = new Option<string>("--filename", "-f") { Description = "A YAML file of Services and EndpointSlices ('-' for stdin).", Required = true };
        var mode = new Option<string>("--mode") { Description = "The proxy mode to render for.", DefaultValueFactory = _ => "iptables" };
        var nodeName = new Option<string>("--node-name") { Description = "The node rendered for: endpoints with this nodeName are local.", DefaultValueFactory = _ => "" };
        var nodeIp = new Option<string?>("--node-ip") { Description = "The node's IP (load balancer source ranges, --nodeport-addresses)." };
        var clusterCidr = new Option<string?>("--cluster-cidr") { Description = "The pod network; traffic from outside it to a cluster IP is masqueraded." };
        var masqueradeAll = new Option<bool>("--masquerade-all") { Description = "Masquerade all traffic to cluster IPs." };
        var nodePortAddresses = new Option<string[]>("--nodeport-addresses") { Description = "CIDRs whose node addresses take NodePorts (default: all local addresses).", AllowMultipleArgumentsPerToken = true };
        var noLocalhostNodePorts = new Option<bool>("--no-localhost-nodeports") { Description = "Do not accept NodePorts on 127.0.0.0/8 (--iptables-localhost-nodeports=false)." };
        var noRandomFully = new Option<bool>("--no-random-fully") { Description = "MASQUERADE without --random-fully (iptables before 1.6.2)." };
        var nfacct = new Option<bool>("--nfacct") { Description = "Render kube-proxy's nfacct counter matches, as when its counters exist." };
        var sorted = new Option<bool>("--sorted") { Description = "Print in upstream's canonical order (as kube-proxy's golden tests)." };
        var render = new Command("render", "Print the iptables-restore payload the proxy would apply for these objects; touches no kernel.")
        {
            file, mode, nodeName, nodeIp, clusterCidr, masqueradeAll, nodePortAddresses, noLocalhostNodePorts, noRandomFully, nfacct, sorted,
        };
        render.SetAction(result => CommandErrors.Run(() =>
        {
            var path = result.GetValue(file)!;
            var yaml = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
            var settings = new ProxySettings
            {
                Mode = result.GetValue(mode)!,
                NodeName = result.GetValue(nodeName)!,
                NodeIP = result.GetValue(nodeIp),
                ClusterCidr = result.GetValue(clusterCidr),
                MasqueradeAll = result.GetValue(masqueradeAll),
                NodePortAddresses = result.GetValue(nodePortAddresses) ?? [],
                LocalhostNodePorts = !result.GetValue(noLocalhostNodePorts),
                RandomFully = !result.GetValue(noRandomFully),
                NfacctCounters = result.GetValue(nfacct),
            };
            var text = ProxyRender.Render(ObjectFile.Parse(yaml, path), settings);
            Console.Out.Write(result.GetValue(sorted) ? IptablesDump.Canonical(text) : text);
            return 0;
        }));
        return new Command("proxy", "The Service proxy (kube-proxy): inspect what it programs.") { render };
    }
}
