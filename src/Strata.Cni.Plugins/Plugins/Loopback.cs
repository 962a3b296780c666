using System.Text.Json.Nodes;
using Strata.Cni.Plugins.Skel;
using Strata.Netlink;

namespace Strata.Cni.Plugins.Plugins;

/// <summary>
/// <c>loopback</c>: brings <c>lo</c> up in the container (containernetworking/plugins
/// plugins/main/loopback). The result lists lo with 127.0.0.1/8 and ::1/128, as upstream's does.
/// </summary>
public sealed class Loopback : IPlugin
{
    public string Name => "loopback";

    public JsonObject Add(CmdArgs args)
    {
        using var ns = PluginNetns.Open(args.Netns);
        using var nl = Rtnetlink.Open(ns);
        nl.SetLinkUp("lo");
        var ips = new JsonArray();
        foreach (var address in nl.GetAddresses(device: "lo").Where(a => a.Prefix.PrefixLength is 8 or 128))
        {
            ips.Add((JsonNode)new JsonObject { ["interface"] = 0, ["address"] = address.Prefix.ToString() });
        }

        return new JsonObject
        {
            ["interfaces"] = new JsonArray(new JsonObject { ["name"] = "lo", ["mac"] = "00:00:00:00:00:00", ["sandbox"] = args.Netns }),
            ["ips"] = ips,
            ["dns"] = new JsonObject(),
        };
    }

    public void Del(CmdArgs args)
    {
        if (args.Netns.Length == 0 || !File.Exists(args.Netns))
        {
            return; // DEL is idempotent: nothing to do once the namespace is gone
        }

        using var ns = PluginNetns.Open(args.Netns);
        using var nl = Rtnetlink.Open(ns);
        nl.SetLinkDown("lo");
    }

    public void Check(CmdArgs args)
    {
        using var ns = PluginNetns.Open(args.Netns);
        using var nl = Rtnetlink.Open(ns);
        if (!nl.GetLink("lo").IsUp)
        {
            throw new CniException(CniErrorCode.Internal, "loopback interface is down");
        }
    }
}
