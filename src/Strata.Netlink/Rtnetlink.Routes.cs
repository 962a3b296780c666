using System.Net.Sockets;
using System.Text;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

public sealed partial class Rtnetlink
{
    public void AddRoute(Route route) => ModifyRoute("add", RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route);

    public void ReplaceRoute(Route route) => ModifyRoute("replace", RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, route);

    public void DeleteRoute(Route route) => ModifyRoute("del", RTM_DELROUTE, 0, route);

    /// <summary><c>ip route show [table N]</c> for one family (Unspecified: IPv4 and IPv6); names the devices. Null <paramref name="table"/> means every table.</summary>
    public IReadOnlyList<Route> GetRoutes(AddressFamily family = AddressFamily.InterNetwork, uint? table = Route.MainTable)
    {
        var routes = new List<Route>();
        Dump("route show", RTM_GETROUTE, (ref NetlinkWriter w) => w.WriteStruct(new Interop.rtmsg { rtm_family = FamilyByte(family) }),
            (type, payload) =>
            {
                if (type != RTM_NEWROUTE || !RtnetlinkDecoder.IsIpRoute(payload))
                {
                    return; // e.g. multicast routing entries (RTNL_FAMILY_IPMR)
                }

                var route = RtnetlinkDecoder.DecodeRoute(payload);
                if ((table is null || route.Table == table) && (family == AddressFamily.Unspecified || route.Destination.Family == family))
                {
                    routes.Add(route);
                }
            });
        var names = LinkNames();
        return routes.Select(r => r.OutIndex is { } index && names.TryGetValue(index, out var name) ? r with { Device = name } : r).ToList();
    }

    private void ModifyRoute(string verb, ushort type, ushort flags, Route route)
    {
        string operation = Describe(verb, route);
        if (route.Gateway is { } gateway && gateway.AddressFamily != route.Destination.Family)
        {
            Require(operation, $"gateway {gateway} is not in the same address family as {route.Destination}");
        }

        if (route.PreferredSource is { } source && source.AddressFamily != route.Destination.Family)
        {
            Require(operation, $"src {source} is not in the same address family as {route.Destination}");
        }

        if (route.OnLink && route.Gateway is null)
        {
            Require(operation, "onlink needs a gateway (via)");
        }

        if (route.Type == RouteType.Unicast && route.Gateway is null && route.Device is null && route.OutIndex is null && type != RTM_DELROUTE)
        {
            Require(operation, "a unicast route needs a gateway (via) or a device (dev)");
        }

        int outIndex = route.OutIndex ?? (route.Device is null ? 0 : ResolveIndex(operation, route.Device));
        bool delete = type == RTM_DELROUTE;
        var network = route.Destination.Network;
        Execute(operation, type, flags, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.rtmsg
            {
                rtm_family = FamilyByte(route.Destination.Family),
                rtm_dst_len = (byte)route.Destination.PrefixLength,
                rtm_table = route.EffectiveTable < 256 ? (byte)route.EffectiveTable : (byte)0,
                // iproute2 (ip/iproute.c) leaves protocol, scope and type as wildcards on delete.
                rtm_protocol = delete ? (byte)0 : route.Protocol,
                rtm_scope = delete && route.Scope is null ? (byte)Scope.Nowhere : (byte)route.EffectiveScope,
                rtm_type = delete && route.Type == RouteType.Unicast ? (byte)0 : (byte)route.Type,
                rtm_flags = route.OnLink ? RTNH_F_ONLINK : 0,
            });
            if (route.Destination.PrefixLength > 0)
            {
                w.PutAddress(RTA_DST, network.Address);
            }

            if (route.EffectiveTable >= 256)
            {
                w.PutU32(RTA_TABLE, route.EffectiveTable);
            }

            if (route.Gateway is { } via)
            {
                w.PutAddress(RTA_GATEWAY, via);
            }

            if (outIndex != 0)
            {
                w.PutS32(RTA_OIF, outIndex);
            }

            if (route.Metric is { } metric)
            {
                w.PutU32(RTA_PRIORITY, metric);
            }

            if (route.PreferredSource is { } src)
            {
                w.PutAddress(RTA_PREFSRC, src);
            }
        });
    }

    /// <summary>The route in <c>ip route</c>'s words, for error messages.</summary>
    internal static string Describe(string verb, Route route)
    {
        var text = new StringBuilder($"route {verb} ");
        if (route.Type != RouteType.Unicast)
        {
            text.Append(route.Type.ToString().ToLowerInvariant()).Append(' ');
        }

        text.Append(route.Destination.PrefixLength == 0 ? "default" : route.Destination.Network.ToString());
        if (route.Gateway is { } gateway)
        {
            text.Append($" via {gateway}");
        }

        if (route.Device is { } device)
        {
            text.Append($" dev {device}");
        }
        else if (route.OutIndex is { } index)
        {
            text.Append($" dev {index}");
        }

        if (route.Table is { } table && table != Route.MainTable)
        {
            text.Append($" table {table}");
        }

        if (route.Protocol != 3)
        {
            text.Append($" proto {route.Protocol}");
        }

        if (route.Scope is { } scope)
        {
            text.Append($" scope {scope.ToString().ToLowerInvariant()}");
        }

        if (route.Metric is { } metric)
        {
            text.Append($" metric {metric}");
        }

        if (route.PreferredSource is { } source)
        {
            text.Append($" src {source}");
        }

        if (route.OnLink)
        {
            text.Append(" onlink");
        }

        return text.ToString();
    }

    private Dictionary<int, string> LinkNames() => GetLinks().ToDictionary(l => l.Index, l => l.Name);
}
