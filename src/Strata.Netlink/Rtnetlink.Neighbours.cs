using System.Net.Sockets;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

public sealed partial class Rtnetlink
{
    /// <summary><c>ip neigh add ADDR lladdr MAC dev DEV nud STATE</c>.</summary>
    public void AddNeighbour(Neighbour neighbour) => ModifyNeighbour("add", RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, neighbour);

    /// <summary><c>ip neigh replace …</c>: creates or overwrites.</summary>
    public void ReplaceNeighbour(Neighbour neighbour) => ModifyNeighbour("replace", RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, neighbour);

    public void DeleteNeighbour(Neighbour neighbour) => ModifyNeighbour("del", RTM_DELNEIGH, 0, neighbour);

    /// <summary><c>ip neigh show proxy</c>: the proxy entries (<see cref="Neighbour.Proxy"/>); names the devices.</summary>
    public IReadOnlyList<Neighbour> GetProxyNeighbours(AddressFamily family = AddressFamily.Unspecified)
    {
        var neighbours = new List<Neighbour>();
        // A dump whose ndm_flags is exactly NTF_PROXY walks the proxy table (net/core/neighbour.c, neigh_dump_info).
        Dump("neigh show proxy", RTM_GETNEIGH, (ref NetlinkWriter w) => w.WriteStruct(new Interop.ndmsg { ndm_family = FamilyByte(family), ndm_flags = NTF_PROXY }),
            (type, payload) =>
            {
                if (type == RTM_NEWNEIGH && !RtnetlinkDecoder.IsBridgeFamily(payload))
                {
                    var neighbour = RtnetlinkDecoder.DecodeNeighbour(payload);
                    if (neighbour.Proxy && (family == AddressFamily.Unspecified || neighbour.Address.AddressFamily == family))
                    {
                        neighbours.Add(neighbour);
                    }
                }
            });
        var names = LinkNames();
        return neighbours.Select(n => n with { Device = names.GetValueOrDefault(n.LinkIndex ?? 0) }).ToList();
    }

    /// <summary><c>ip neigh show</c>; names the devices.</summary>
    public IReadOnlyList<Neighbour> GetNeighbours(AddressFamily family = AddressFamily.Unspecified)
    {
        var neighbours = new List<Neighbour>();
        Dump("neigh show", RTM_GETNEIGH, (ref NetlinkWriter w) => w.WriteStruct(new Interop.ndmsg { ndm_family = FamilyByte(family) }),
            (type, payload) =>
            {
                if (type == RTM_NEWNEIGH && !RtnetlinkDecoder.IsBridgeFamily(payload))
                {
                    var neighbour = RtnetlinkDecoder.DecodeNeighbour(payload);
                    if (family == AddressFamily.Unspecified || neighbour.Address.AddressFamily == family)
                    {
                        neighbours.Add(neighbour);
                    }
                }
            });
        var names = LinkNames();
        return neighbours.Select(n => n with { Device = names.GetValueOrDefault(n.LinkIndex ?? 0) }).ToList();
    }

    /// <summary><c>bridge fdb append MAC dev DEV dst IP</c>: adds one more destination for the MAC (flannel's vxlan entries; all-zero MAC for flooding).</summary>
    public void AppendFdb(FdbEntry entry) => ModifyFdb("append", RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, entry);

    /// <summary><c>bridge fdb add …</c>: fails if the MAC is already present.</summary>
    public void AddFdb(FdbEntry entry) => ModifyFdb("add", RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, entry);

    /// <summary><c>bridge fdb replace …</c>.</summary>
    public void ReplaceFdb(FdbEntry entry) => ModifyFdb("replace", RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, entry);

    public void DeleteFdb(FdbEntry entry) => ModifyFdb("del", RTM_DELNEIGH, 0, entry);

    /// <summary><c>bridge fdb show [dev DEV]</c>; names the devices.</summary>
    public IReadOnlyList<FdbEntry> GetFdb(string? device = null)
    {
        int? index = device is null ? null : ResolveIndex($"fdb show dev {device}", device);
        var entries = new List<FdbEntry>();
        Dump("fdb show", RTM_GETNEIGH, (ref NetlinkWriter w) => w.WriteStruct(new Interop.ndmsg { ndm_family = Interop.Libc.AF_BRIDGE }),
            (type, payload) =>
            {
                if (type == RTM_NEWNEIGH && RtnetlinkDecoder.IsBridgeFamily(payload))
                {
                    var entry = RtnetlinkDecoder.DecodeFdb(payload);
                    if (index is null || entry.LinkIndex == index)
                    {
                        entries.Add(entry);
                    }
                }
            });
        var names = LinkNames();
        return entries.Select(e => e with { Device = names.GetValueOrDefault(e.LinkIndex ?? 0) }).ToList();
    }

    private void ModifyNeighbour(string verb, ushort type, ushort flags, Neighbour neighbour)
    {
        string operation = $"neigh {verb} " + (neighbour.Proxy ? "proxy " : string.Empty) + $"{neighbour.Address}" +
            (neighbour.LinkAddress is { } mac ? $" lladdr {MacAddress.Format(mac)}" : string.Empty) +
            DescribeDevice(neighbour.Device, neighbour.LinkIndex) +
            (type == RTM_DELNEIGH || neighbour.Proxy ? string.Empty : $" nud {neighbour.State.ToString().ToLowerInvariant()}");
        int index = neighbour.LinkIndex ?? (neighbour.Device is { } device ? ResolveIndex(operation, device) : 0);
        if (index == 0)
        {
            Require(operation, "a neighbour needs a device (dev)");
        }

        Execute(operation, type, flags, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ndmsg
            {
                ndm_family = FamilyByte(neighbour.Address.AddressFamily),
                ndm_ifindex = index,
                ndm_state = neighbour.Proxy ? (ushort)0 : (ushort)neighbour.State,
                ndm_flags = neighbour.Proxy ? NTF_PROXY : (byte)0,
            });
            w.PutAddress(NDA_DST, neighbour.Address);
            if (neighbour.LinkAddress is { } lladdr)
            {
                w.PutBytes(NDA_LLADDR, lladdr.GetAddressBytes());
            }
        });
    }

    /// <summary><c> dev DEV</c> for an error message, or nothing when no device was named.</summary>
    private static string DescribeDevice(string? device, int? index) =>
        (device ?? index?.ToString()) is { } name ? $" dev {name}" : string.Empty;

    private void ModifyFdb(string verb, ushort type, ushort flags, FdbEntry entry)
    {
        string operation = $"fdb {verb} {MacAddress.Format(entry.Mac)}" + DescribeDevice(entry.Device, entry.LinkIndex) +
            (entry.Destination is { } dst ? $" dst {dst}" : string.Empty) +
            (entry.Vni is { } vni ? $" vni {vni}" : string.Empty) +
            (entry.Master ? " master" : string.Empty) + (entry.Self ? " self" : string.Empty) +
            (entry.State == NeighbourState.Permanent ? " permanent" : string.Empty);
        if (entry.Mac.GetAddressBytes().Length != 6)
        {
            Require(operation, "an fdb entry needs a 6-byte MAC address");
        }

        int index = entry.LinkIndex ?? (entry.Device is { } device ? ResolveIndex(operation, device) : 0);
        if (index == 0)
        {
            Require(operation, "an fdb entry needs a device (dev)");
        }

        Execute(operation, type, flags, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ndmsg
            {
                ndm_family = Interop.Libc.AF_BRIDGE,
                ndm_ifindex = index,
                ndm_state = (ushort)entry.State,
                ndm_flags = (byte)((entry.Self ? NTF_SELF : 0) | (entry.Master ? NTF_MASTER : 0)),
            });
            w.PutBytes(NDA_LLADDR, entry.Mac.GetAddressBytes());
            if (entry.Destination is { } destination)
            {
                w.PutAddress(NDA_DST, destination);
            }

            if (entry.Vni is { } vni)
            {
                w.PutU32(NDA_VNI, vni);
            }

            if (entry.Port is { } port)
            {
                w.PutBe16(NDA_PORT, port);
            }

            if (entry.Vlan is { } vlan)
            {
                w.PutU16(NDA_VLAN, vlan);
            }
        });
    }
}
