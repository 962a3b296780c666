using System.Text;
using System.Text.Json;
using Strata.Netlink;

namespace Strata.Cli.Rendering;

/// <summary>Renders links as iproute2 prints them (ip/ipaddress.c): pure text in, text out.</summary>
internal static class LinkRenderer
{
    // Flag names in the order iproute2's print_link_flags walks them (linux/if.h bits).
    private static readonly (uint Bit, string Name)[] s_flags =
    [
        (0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"), (0x1000, "MULTICAST"), (0x80, "NOARP"),
        (0x200, "ALLMULTI"), (0x100, "PROMISC"), (0x400, "MASTER"), (0x800, "SLAVE"), (0x1, "UP"), (0x10000, "LOWER_UP"),
        (0x20000, "DORMANT"),
    ];

    private const uint IFF_UP = 0x1;
    private const uint IFF_RUNNING = 0x40;

    public static IReadOnlyList<string> Flags(Link link, IReadOnlyDictionary<int, Link> byIndex)
    {
        var names = new List<string>();
        if ((link.Flags & IFF_UP) != 0 && (link.Flags & IFF_RUNNING) == 0)
        {
            names.Add("NO-CARRIER");
        }

        names.AddRange(s_flags.Where(f => (link.Flags & f.Bit) != 0).Select(f => f.Name));

        // M-DOWN: the parent link (a veth's peer in this namespace) is down.
        if (link.LinkNetnsId is null && link.ParentIndex is { } parent && parent != link.Index &&
            byIndex.TryGetValue(parent, out var peer) && !peer.IsUp)
        {
            names.Add("M-DOWN");
        }

        return names;
    }

    public static string Text(IReadOnlyList<Link> links)
    {
        var byIndex = links.ToDictionary(l => l.Index);
        var text = new StringBuilder();
        foreach (var link in links)
        {
            text.Append($"{link.Index}: {link.Name}{PeerSuffix(link, byIndex)}: <{string.Join(',', Flags(link, byIndex))}> mtu {link.Mtu}");
            if (link.MasterIndex is { } master)
            {
                text.Append($" master {(byIndex.TryGetValue(master, out var m) ? m.Name : master.ToString())}");
            }

            text.Append($" state {OperStateName(link.OperState)}");
            text.Append(link.Group == 0 ? " group default" : $" group {link.Group}");
            text.Append('\n');
            text.Append($"    link/{LinkType(link)} {MacAddress.Format(link.Address)}".TrimEnd());
            if (link.LinkNetnsId is { } nsid)
            {
                text.Append($" link-netnsid {nsid}");
            }

            text.Append('\n');
            if (link.Kind is { } kind)
            {
                text.Append($"    {kind}");
                if (link.Vxlan is { } vxlan)
                {
                    text.Append($" id {vxlan.Vni}");
                    if (vxlan.Remote is { } remote)
                    {
                        text.Append($" remote {remote}");
                    }

                    if (vxlan.Local is { } local)
                    {
                        text.Append($" local {local}");
                    }

                    if (vxlan.DeviceIndex is { } device)
                    {
                        text.Append($" dev {(byIndex.TryGetValue(device, out var d) ? d.Name : device.ToString())}");
                    }

                    text.Append($" dstport {vxlan.Port}");
                    text.Append(vxlan.Learning ? string.Empty : " nolearning");
                    text.Append(vxlan.Ttl == 0 ? " ttl auto" : $" ttl {vxlan.Ttl}");
                    text.Append($" ageing {vxlan.Ageing}");
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The fields of <c>ip -j -d link show</c> that Strata decodes, under the same names.</summary>
    public static string Json(IReadOnlyList<Link> links)
    {
        var byIndex = links.ToDictionary(l => l.Index);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            foreach (var link in links)
            {
                json.WriteStartObject();
                json.WriteNumber("ifindex", link.Index);
                if (link.ParentIndex is { } parent && parent != link.Index)
                {
                    if (link.LinkNetnsId is null && byIndex.TryGetValue(parent, out var peer))
                    {
                        json.WriteString("link", peer.Name);
                    }
                    else
                    {
                        json.WriteNumber("link_index", parent);
                    }
                }

                json.WriteString("ifname", link.Name);
                json.WriteStartArray("flags");
                foreach (string flag in Flags(link, byIndex))
                {
                    json.WriteStringValue(flag);
                }

                json.WriteEndArray();
                json.WriteNumber("mtu", link.Mtu);
                if (link.MasterIndex is { } master && byIndex.TryGetValue(master, out var m))
                {
                    json.WriteString("master", m.Name);
                }

                json.WriteString("operstate", OperStateName(link.OperState));
                json.WriteString("group", link.Group == 0 ? "default" : link.Group.ToString());
                json.WriteNumber("txqlen", link.TxQueueLength);
                json.WriteString("link_type", LinkType(link));
                if (link.Address is not null)
                {
                    json.WriteString("address", MacAddress.Format(link.Address));
                }

                if (link.LinkNetnsId is { } nsid)
                {
                    json.WriteNumber("link_netnsid", nsid);
                }

                if (link.Kind is { } kind)
                {
                    json.WriteStartObject("linkinfo");
                    json.WriteString("info_kind", kind);
                    if (link.Vxlan is { } vxlan)
                    {
                        json.WriteStartObject("info_data");
                        json.WriteNumber("id", vxlan.Vni);
                        if (vxlan.Remote is { } remote)
                        {
                            json.WriteString("remote", remote.ToString());
                        }

                        if (vxlan.Local is { } local)
                        {
                            json.WriteString("local", local.ToString());
                        }

                        if (vxlan.DeviceIndex is { } device && byIndex.TryGetValue(device, out var d))
                        {
                            json.WriteString("link", d.Name);
                        }

                        json.WriteNumber("port", vxlan.Port);
                        json.WriteBoolean("learning", vxlan.Learning);
                        json.WriteNumber("ttl", vxlan.Ttl);
                        json.WriteNumber("ageing", vxlan.Ageing);
                        json.WriteEndObject();
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static string PeerSuffix(Link link, Dictionary<int, Link> byIndex)
    {
        if (link.ParentIndex is not { } parent || parent == link.Index || parent == 0)
        {
            return string.Empty;
        }

        return link.LinkNetnsId is null && byIndex.TryGetValue(parent, out var peer) ? $"@{peer.Name}" : $"@if{parent}";
    }

    private static string LinkType(Link link) => link.DeviceType switch
    {
        1 => "ether",
        772 => "loopback",
        65534 => "none",
        _ => link.DeviceType.ToString(),
    };

    private static string OperStateName(OperState state) => state switch
    {
        OperState.LowerLayerDown => "LOWERLAYERDOWN",
        OperState.NotPresent => "NOTPRESENT",
        _ => state.ToString().ToUpperInvariant(),
    };
}
