using System.Diagnostics;
using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Iptables;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// <c>portmap</c>: the <c>portMappings</c> capability as iptables DNAT rules, chained after the
/// interface plugin (containernetworking/plugins plugins/meta/portmap). Only the iptables
/// backend: upstream's nftables backend (<c>"backend": "nftables"</c>, portmap_nftables.go) is not
/// implemented, and asking for it (or giving nftables-style conditions) is an error. The rules
/// are modelled as <see cref="IptablesChain"/>s by <see cref="PortmapRules"/> (pure) and applied
/// by <see cref="IptablesDriver"/> (<c>iptables -w</c>), as go-iptables does for upstream.
/// </summary>
public sealed class Portmap : IPlugin
{
    public string Name => "portmap";

    public JsonObject Add(CmdArgs args)
    {
        var config = PortmapConfig.Parse(args.Config!, args.IfName);
        if (!config.HasPrevResult)
        {
            throw new CniException(CniErrorCode.Internal, "must be called as chained plugin");
        }

        var result = (JsonObject)args.Config!["prevResult"]!.DeepClone();
        result.Remove("cniVersion");
        if (config.PortMappings.Count == 0)
        {
            return result;
        }

        if (config.ContainerIpv4 is { } v4)
        {
            Forward(config, args.ContainerId, v4);
            DeleteStaleUdpConntrack(config, ipv6: false);
            if (config.Snat && RoutableHostInterface(v4) is { } hostInterface)
            {
                // So that connections to 127.0.0.1:hostPort can be DNATed to the container.
                try
                {
                    File.WriteAllText($"/proc/sys/net/ipv4/conf/{hostInterface}/route_localnet", "1");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CniException(CniErrorCode.Internal, $"unable to enable route_localnet: {ex.Message}");
                }
            }
        }

        if (config.ContainerIpv6 is { } v6)
        {
            Forward(config, args.ContainerId, v6);
            DeleteStaleUdpConntrack(config, ipv6: true);
        }

        return result;
    }

    public void Del(CmdArgs args)
    {
        var config = PortmapConfig.Parse(args.Config!, args.IfName, forDelete: true);
        if (config.PortMappings.Count == 0)
        {
            return;
        }

        foreach (var driver in new[] { new IptablesDriver(ipv6: false), new IptablesDriver(ipv6: true) })
        {
            // Without its entry rules: Teardown removes every jump to the chain, so DEL needs no prevResult.
            driver.Teardown(PortmapRules.Dnat(config.Name, args.ContainerId));
            driver.Teardown(PortmapRules.OldSnat(config.Name, args.ContainerId));
        }
    }

    public void Check(CmdArgs args)
    {
        var config = PortmapConfig.Parse(args.Config!, args.IfName, errorPrefix: string.Empty);
        if (!config.HasPrevResult)
        {
            throw new CniException(CniErrorCode.Internal, "Required prevResult missing");
        }

        foreach (var container in new[] { config.ContainerIpv4, config.ContainerIpv6 }.OfType<IpPrefix>())
        {
            if (config.PortMappings.Count > 0)
            {
                try
                {
                    new IptablesDriver(!container.IsIPv4).Check(PortmapRules.FillDnat(config, args.ContainerId, container));
                }
                catch (CniException ex)
                {
                    throw new CniException(ex.Code, $"could not check {(container.IsIPv4 ? "ipv4" : "ipv6")} dnat: {ex.Message}");
                }
            }
        }
    }

    private static void Forward(PortmapConfig config, string containerId, IpPrefix container)
    {
        var driver = new IptablesDriver(!container.IsIPv4);
        if (config.Snat && config.ExternalSetMarkChain is null)
        {
            driver.Setup(PortmapRules.SetMark(config.MarkMasqBit));
            driver.Setup(PortmapRules.MarkMasq(config.MarkMasqBit));
        }

        driver.Setup(PortmapRules.TopLevelDnat());

        // Upstream does not tear an existing CNI-DN- chain down first (its comment says so, its code
        // does not): a repeated ADD adds only the rules that are missing.
        driver.Setup(PortmapRules.FillDnat(config, containerId, container));
    }

    /// <summary>The host interface the container is reached through: the most specific route in the main table.</summary>
    private static string? RoutableHostInterface(IpPrefix container)
    {
        using var nl = Rtnetlink.Open();
        return nl.GetRoutes(System.Net.Sockets.AddressFamily.InterNetwork)
            .Where(r => r.Device is not null && Contains(r.Destination, container.Address))
            .OrderByDescending(r => r.Destination.PrefixLength)
            .FirstOrDefault()?.Device;
    }

    private static bool Contains(IpPrefix prefix, System.Net.IPAddress address) =>
        new IpPrefix(address, prefix.PrefixLength).Network == prefix.Network;

    /// <summary>
    /// UDP "connections" to a newly mapped port may be stuck on an old entry; forget them, per family
    /// (portmap's deletePortmapStaleConnections, which upstream does over netlink). Failures are
    /// informative only, as upstream.
    /// </summary>
    private static void DeleteStaleUdpConntrack(PortmapConfig config, bool ipv6)
    {
        foreach (var mapping in config.PortMappings.Where(m => m.Protocol.Equals("udp", StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                string port = mapping.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                using var process = Process.Start(new ProcessStartInfo("conntrack", ["-D", "-f", ipv6 ? "ipv6" : "ipv4", "-p", "udp", "--dport", port])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null)
                {
                    continue;
                }

                // It prints every entry it deletes (and exits 1 when there was none): drain, ignore.
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(5000))
                {
                    process.Kill();
                }

                process.WaitForExit();
                _ = stdout.Result + stderr.Result;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // conntrack(8) is not installed: upstream only logs this failure too.
            }
        }
    }
}
