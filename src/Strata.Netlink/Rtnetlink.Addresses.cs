using System.Net;
using System.Net.Sockets;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

public sealed partial class Rtnetlink
{
    /// <summary>
    /// <c>ip addr add PREFIX [brd +] dev DEV</c>. <paramref name="broadcast"/> adds the IPv4 broadcast
    /// address of the prefix (none for /31 and /32), as vishvananda/netlink's AddrAdd does for the CNI plugins.
    /// </summary>
    public void AddAddress(string device, IpPrefix address, Scope scope = Scope.Universe, bool noDad = false, bool broadcast = false)
    {
        string operation = $"addr add {address} dev {device}";
        ModifyAddress(operation, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ResolveIndex(operation, device), address, scope, noDad, broadcast);
    }

    /// <summary><c>ip addr add</c> on a link known by ifindex, which saves a lookup.</summary>
    public void AddAddress(int linkIndex, IpPrefix address, Scope scope = Scope.Universe, bool noDad = false, bool broadcast = false) =>
        ModifyAddress($"addr add {address} dev {linkIndex}", RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, linkIndex, address, scope, noDad, broadcast);

    /// <summary><c>ip addr replace PREFIX dev DEV</c>.</summary>
    public void ReplaceAddress(string device, IpPrefix address, Scope scope = Scope.Universe, bool noDad = false)
    {
        string operation = $"addr replace {address} dev {device}";
        ModifyAddress(operation, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ResolveIndex(operation, device), address, scope, noDad);
    }

    /// <summary><c>ip addr del PREFIX dev DEV</c>.</summary>
    public void DeleteAddress(string device, IpPrefix address)
    {
        string operation = $"addr del {address} dev {device}";
        ModifyAddress(operation, RTM_DELADDR, 0, ResolveIndex(operation, device), address, Scope.Universe, noDad: false);
    }

    /// <summary><c>ip addr show</c>, optionally for one family or device.</summary>
    public IReadOnlyList<InterfaceAddress> GetAddresses(AddressFamily family = AddressFamily.Unspecified, string? device = null)
    {
        int? index = device is null ? null : ResolveIndex($"addr show dev {device}", device);
        var addresses = new List<InterfaceAddress>();
        Dump("addr show", RTM_GETADDR, (ref NetlinkWriter w) => w.WriteStruct(new Interop.ifaddrmsg { ifa_family = FamilyByte(family) }),
            (type, payload) =>
            {
                if (type != RTM_NEWADDR)
                {
                    return;
                }

                var address = RtnetlinkDecoder.DecodeAddress(payload);
                if ((index is null || address.LinkIndex == index) &&
                    (family == AddressFamily.Unspecified || address.Prefix.Family == family))
                {
                    addresses.Add(address);
                }
            });
        return addresses;
    }

    /// <summary>The link that holds <paramref name="address"/>, with the address as configured there (its prefix), or null.</summary>
    public (Link Link, InterfaceAddress Address)? FindAddressOwner(IPAddress address)
    {
        var owned = GetAddresses(address.AddressFamily).FirstOrDefault(a => a.Prefix.Address.Equals(address));
        return owned is null ? null : (GetLinks().First(l => l.Index == owned.LinkIndex), owned);
    }

    private void ModifyAddress(string operation, ushort type, ushort flags, int index, IpPrefix address, Scope scope, bool noDad, bool broadcast = false)
    {
        Execute(operation, type, flags, (ref NetlinkWriter w) =>
        {
            w.WriteStruct(new Interop.ifaddrmsg
            {
                ifa_family = FamilyByte(address.Family),
                ifa_prefixlen = (byte)address.PrefixLength,
                ifa_scope = (byte)scope,
                ifa_index = index,
            });
            // As iproute2 does without a peer: IFA_LOCAL and IFA_ADDRESS are both the address.
            w.PutAddress(IFA_LOCAL, address.Address);
            w.PutAddress(IFA_ADDRESS, address.Address);
            if (noDad)
            {
                w.PutU32(IFA_FLAGS, IFA_F_NODAD);
            }

            if (broadcast && address.IsIPv4 && address.PrefixLength < 31)
            {
                w.PutAddress(IFA_BROADCAST, BroadcastAddress(address));
            }
        });
    }

    /// <summary>The prefix's last address: every host bit set.</summary>
    private static System.Net.IPAddress BroadcastAddress(IpPrefix prefix)
    {
        byte[] bytes = prefix.Address.GetAddressBytes();
        for (int bit = prefix.PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] |= (byte)(0x80 >> (bit % 8));
        }

        return new System.Net.IPAddress(bytes);
    }

    internal static byte FamilyByte(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Interop.Libc.AF_INET,
        AddressFamily.InterNetworkV6 => Interop.Libc.AF_INET6,
        _ => Interop.Libc.AF_UNSPEC,
    };
}
