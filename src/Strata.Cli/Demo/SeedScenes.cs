using System.Diagnostics;
using System.Net;
using Strata.Cli.Rendering;
using Strata.Netlink;

namespace Strata.Cli.Demo;

/// <summary>
/// The seed article's hand-built scenes, made with Strata's netlink library only: a veth pair
/// between two namespaces, containers on a bridge, and two hosts joined by VXLAN the way flannel
/// programs it. Every namespace is named <c>strata-demo-*</c> from the fixed list below, which is
/// also what <c>--down</c> removes: nothing is deleted by pattern.
/// </summary>
internal static class SeedScenes
{
    private static readonly string[] s_namespaces =
    [
        "strata-demo-test1", "strata-demo-test2",
        "strata-demo-host", "strata-demo-c1", "strata-demo-c2",
        "strata-demo-underlay", "strata-demo-node1", "strata-demo-node2",
        "strata-demo-cninode", "strata-demo-pod",
    ];

    /// <summary>Scene 4's files (conf dir, subnet.env, IPAM and cache dirs): never the host's /etc/cni or /var/lib/cni.</summary>
    private static readonly string s_cniDirectory = Path.Combine(Path.GetTempPath(), "strata-demo-cni");

    public static int Run(TextWriter output, bool keep, string plugins)
    {
        Down(TextWriter.Null);
        var opened = new List<NetworkNamespace>();
        NetworkNamespace Create(string name)
        {
            output.WriteLine($"+ ip netns add {name}");
            var ns = NetworkNamespace.Create(name);
            opened.Add(ns);
            return ns;
        }

        bool ok;
        try
        {
            ok = VethPair(output, Create) & Bridge(output, Create) & Vxlan(output, Create) & Cni(output, Create, plugins);
        }
        finally
        {
            opened.ForEach(ns => ns.Dispose());
            if (!keep)
            {
                Down(output);
            }
        }

        output.WriteLine();
        output.WriteLine(ok ? "demo: every ping crossed the kernel objects Strata built." : "demo: a ping FAILED (see above).");
        if (keep)
        {
            output.WriteLine("The scenes are still up. Explore them, e.g.:");
            output.WriteLine("  ip netns list");
            output.WriteLine("  ip -n strata-demo-node1 -d link show flannel.1");
            output.WriteLine("  ip netns exec strata-demo-node1 bridge fdb show dev flannel.1");
            output.WriteLine("  strata link list --netns strata-demo-host");
            output.WriteLine("Remove them with: sudo strata demo scenes --down");
        }

        output.WriteLine("The multi-node lab ('strata up') is not built yet; this demo shows the netlink and CNI layers it will stand on.");
        return ok ? 0 : 1;
    }

    public static int Down(TextWriter output)
    {
        foreach (string name in s_namespaces.Where(NetworkNamespace.Exists))
        {
            output.WriteLine($"+ ip netns del {name}");
            NetworkNamespace.Delete(name);
        }

        if (Directory.Exists(s_cniDirectory))
        {
            Directory.Delete(s_cniDirectory, recursive: true);
        }

        return 0;
    }

    /// <summary>
    /// Seed: the 10-flannel.conflist, run by Strata's CNI runtime with Strata's plugins: flannel reads
    /// subnet.env and delegates to bridge (cni0) and host-local; a pod namespace gets eth0.
    /// </summary>
    private static bool Cni(TextWriter output, Func<string, NetworkNamespace> create, string plugins)
    {
        Heading(output, "4. a pod through CNI: the seed's 10-flannel.conflist (flannel -> bridge -> host-local)");
        if (!File.Exists(Path.Combine(plugins, "flannel")))
        {
            output.WriteLine($"(skipped: {plugins}/flannel is missing; run 'make build')");
            return false;
        }

        var node = create("strata-demo-cninode");
        var pod = create("strata-demo-pod");
        Directory.CreateDirectory(Path.Combine(s_cniDirectory, "net.d"));
        string subnetEnv = Path.Combine(s_cniDirectory, "subnet.env");
        File.WriteAllText(subnetEnv, "FLANNEL_NETWORK=10.233.64.0/18\nFLANNEL_SUBNET=10.233.64.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        string conflist = Path.Combine(s_cniDirectory, "net.d", "10-flannel.conflist");
        File.WriteAllText(conflist, $$"""
            {
              "cniVersion": "0.3.1",
              "name": "container-cni-list",
              "plugins": [
                {
                  "type": "flannel",
                  "subnetFile": "{{subnetEnv}}",
                  "dataDir": "{{s_cniDirectory}}/flannel",
                  "ipam": { "dataDir": "{{s_cniDirectory}}/networks" },
                  "delegate": { "isDefaultGateway": true, "hairpinMode": true, "ipMasq": true }
                }
              ]
            }
            """);
        output.WriteLine($"$ cat {subnetEnv}");
        output.Write(File.ReadAllText(subnetEnv));
        output.WriteLine($"$ strata cni add strata-demo-pod --container-id pod1 --conf-dir {Path.GetDirectoryName(conflist)} --bin-dir {plugins} --host-netns {node.Name}");
        var runtime = new Strata.Cni.CniRuntime(new Strata.Cni.PluginInvoker([plugins], node.Name), new Strata.Cni.ResultCache(Path.Combine(s_cniDirectory, "cache")));
        var list = Strata.Cni.NetworkConfigList.LoadFile(conflist);
        var conf = new Strata.Cni.RuntimeConf { ContainerId = "pod1", NetNs = Path.Combine(NetworkNamespace.RunDirectory, pod.Name) };
        var result = runtime.Add(list, conf);
        output.WriteLine($"pod1 got {result?["ips"]?[0]?["address"]} (gateway {result?["ips"]?[0]?["gateway"]})");
        using (var nl = Rtnetlink.Open(node))
        {
            Show(output, node, nl);
        }

        output.WriteLine($"$ ip -n {pod.Name} route");
        using (var podNl = Rtnetlink.Open(pod))
        {
            foreach (var route in podNl.GetRoutes())
            {
                output.WriteLine(route.Destination.PrefixLength == 0 ? $"default via {route.Gateway} dev {route.Device}" : $"{route.Destination}{(route.Gateway is null ? string.Empty : $" via {route.Gateway}")} dev {route.Device}");
            }
        }

        bool ok = Ping(output, pod.Name, "10.233.64.1");
        output.WriteLine("$ strata cni del strata-demo-pod --container-id pod1 ...");
        runtime.Delete(list, conf);
        return ok;
    }

    /// <summary>Seed: "ip link add veth-test1 type veth peer name veth-test2", each end in its own namespace.</summary>
    private static bool VethPair(TextWriter output, Func<string, NetworkNamespace> create)
    {
        Heading(output, "1. two namespaces joined by a veth pair");
        var test1 = create("strata-demo-test1");
        var test2 = create("strata-demo-test2");
        using var nl1 = Rtnetlink.Open(test1);
        using var nl2 = Rtnetlink.Open(test2);
        Do(output, $"ip -n {test1.Name} link add veth-test1 type veth peer name veth-test2 netns {test2.Name}",
            () => nl1.AddLink(new VethSpec("veth-test1", "veth-test2") { PeerNamespace = test2 }));
        Do(output, $"ip -n {test1.Name} addr add 192.168.1.1/24 dev veth-test1", () => nl1.AddAddress("veth-test1", IpPrefix.Parse("192.168.1.1/24")));
        Do(output, $"ip -n {test2.Name} addr add 192.168.1.2/24 dev veth-test2", () => nl2.AddAddress("veth-test2", IpPrefix.Parse("192.168.1.2/24")));
        Do(output, $"ip -n {test1.Name} link set veth-test1 up", () => nl1.SetLinkUp("veth-test1"));
        Do(output, $"ip -n {test2.Name} link set veth-test2 up", () => nl2.SetLinkUp("veth-test2"));
        Show(output, test1, nl1);
        return Ping(output, test1.Name, "192.168.1.2");
    }

    /// <summary>Seed: containers attached to docker0 by veth pairs, with a default route via the bridge.</summary>
    private static bool Bridge(TextWriter output, Func<string, NetworkNamespace> create)
    {
        Heading(output, "2. two containers on a bridge (docker0)");
        var host = create("strata-demo-host");
        using var nl = Rtnetlink.Open(host);
        Do(output, "ip link add docker0 type bridge", () => nl.AddLink(new BridgeSpec("docker0")));
        Do(output, "ip addr add 172.18.0.1/16 dev docker0", () => nl.AddAddress("docker0", IpPrefix.Parse("172.18.0.1/16")));
        Do(output, "ip link set docker0 up", () => nl.SetLinkUp("docker0"));
        foreach (var (name, address, hostEnd) in new[] { ("strata-demo-c1", "172.18.0.2/16", "veth-c1"), ("strata-demo-c2", "172.18.0.3/16", "veth-c2") })
        {
            var container = create(name);
            using var c = Rtnetlink.Open(container);
            Do(output, $"ip link add {hostEnd} master docker0 up type veth peer name eth0 netns {name}",
                () => nl.AddLink(new VethSpec(hostEnd, "eth0") { PeerNamespace = container, Master = "docker0", Up = true }));
            Do(output, $"ip -n {name} addr add {address} dev eth0", () => c.AddAddress("eth0", IpPrefix.Parse(address)));
            Do(output, $"ip -n {name} link set lo up", () => c.SetLinkUp("lo"));
            Do(output, $"ip -n {name} link set eth0 up", () => c.SetLinkUp("eth0"));
            Do(output, $"ip -n {name} route add default via 172.18.0.1", () => c.AddRoute(new Route(IpPrefix.Parse("0.0.0.0/0")) { Gateway = IPAddress.Parse("172.18.0.1") }));
        }

        Show(output, host, nl);
        return Ping(output, "strata-demo-c1", "172.18.0.3") & Ping(output, "strata-demo-c2", "172.18.0.1");
    }

    /// <summary>Seed: flannel's vxlan backend, i.e. flannel.1 plus one route, one neighbour and one fdb entry per remote node.</summary>
    private static bool Vxlan(TextWriter output, Func<string, NetworkNamespace> create)
    {
        Heading(output, "3. two hosts joined by VXLAN (flannel.1, VNI 1, UDP 8472)");
        var underlay = create("strata-demo-underlay");
        using var wire = Rtnetlink.Open(underlay);
        Do(output, $"ip -n {underlay.Name} link add br0 up type bridge", () => wire.AddLink(new BridgeSpec("br0") { Up = true }));
        var nodes = new[] { (Name: "strata-demo-node1", Ip: "172.19.0.8", Subnet: "10.233.64.0"), (Name: "strata-demo-node2", Ip: "172.19.0.13", Subnet: "10.233.65.0") };
        var macs = new Dictionary<string, System.Net.NetworkInformation.PhysicalAddress>();
        foreach (var node in nodes)
        {
            var ns = create(node.Name);
            using var nl = Rtnetlink.Open(ns);
            string port = $"{node.Name["strata-demo-".Length..]}-eth0";
            Do(output, $"ip -n {underlay.Name} link add {port} master br0 up type veth peer name eth0 netns {node.Name}",
                () => wire.AddLink(new VethSpec(port, "eth0") { PeerNamespace = ns, Master = "br0", Up = true }));
            Do(output, $"ip -n {node.Name} addr add {node.Ip}/20 dev eth0", () => nl.AddAddress("eth0", IpPrefix.Parse($"{node.Ip}/20")));
            Do(output, $"ip -n {node.Name} link set eth0 up", () => nl.SetLinkUp("eth0"));
            Do(output, $"ip -n {node.Name} link add flannel.1 type vxlan id 1 local {node.Ip} dev eth0 dstport 8472 nolearning",
                () => nl.AddLink(new VxlanSpec("flannel.1", 1) { Local = IPAddress.Parse(node.Ip), Device = "eth0", Port = 8472, Learning = false, Mtu = 1450 }));
            Do(output, $"ip -n {node.Name} addr add {node.Subnet}/32 dev flannel.1", () => nl.AddAddress("flannel.1", IpPrefix.Parse($"{node.Subnet}/32")));
            Do(output, $"ip -n {node.Name} link set flannel.1 up", () => nl.SetLinkUp("flannel.1"));
            macs[node.Name] = nl.GetLink("flannel.1").Address!;
        }

        foreach (var node in nodes)
        {
            using var ns = NetworkNamespace.Open(node.Name);
            using var nl = Rtnetlink.Open(ns);
            foreach (var remote in nodes.Where(n => n != node))
            {
                var mac = macs[remote.Name];
                Do(output, $"ip -n {node.Name} route add {remote.Subnet}/24 via {remote.Subnet} dev flannel.1 onlink",
                    () => nl.AddRoute(new Route(IpPrefix.Parse($"{remote.Subnet}/24")) { Gateway = IPAddress.Parse(remote.Subnet), Device = "flannel.1", OnLink = true }));
                Do(output, $"ip -n {node.Name} neigh add {remote.Subnet} lladdr {MacAddress.Format(mac)} dev flannel.1 nud permanent",
                    () => nl.AddNeighbour(new Neighbour(IPAddress.Parse(remote.Subnet), "flannel.1") { LinkAddress = mac }));
                Do(output, $"bridge -n {node.Name} fdb append {MacAddress.Format(mac)} dev flannel.1 dst {remote.Ip}",
                    () => nl.AppendFdb(new FdbEntry(mac, "flannel.1") { Destination = IPAddress.Parse(remote.Ip) }));
            }
        }

        using (var node1 = NetworkNamespace.Open(nodes[0].Name))
        using (var nl1 = Rtnetlink.Open(node1))
        {
            Show(output, node1, nl1);
        }

        return Ping(output, nodes[0].Name, nodes[1].Subnet) & Ping(output, nodes[1].Name, nodes[0].Subnet);
    }

    private static void Heading(TextWriter output, string title)
    {
        output.WriteLine();
        output.WriteLine($"== {title} ==");
    }

    private static void Do(TextWriter output, string equivalent, Action action)
    {
        output.WriteLine($"+ {equivalent}");
        action();
    }

    private static void Do(TextWriter output, string equivalent, Func<int> action) => Do(output, equivalent, () => { action(); });

    private static void Show(TextWriter output, NetworkNamespace ns, Rtnetlink nl)
    {
        output.WriteLine($"$ strata link list --netns {ns.Name}");
        output.Write(LinkRenderer.Text(nl.GetLinks()));
    }

    private static bool Ping(TextWriter output, string ns, string address)
    {
        output.WriteLine($"$ ip netns exec {ns} ping -c 1 -W 2 {address}");
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "netns", "exec", ns, "ping", "-c", "1", "-W", "2", address })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.Write(stdout + stderr);
        return process.ExitCode == 0;
    }
}
