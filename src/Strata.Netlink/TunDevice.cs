using System.Runtime.InteropServices;
using System.Text;
using static Strata.Netlink.Interop.Libc;

namespace Strata.Netlink;

public enum TunMode
{
    /// <summary>Layer 3: IP packets (flannel's udp backend, <c>flannel0</c>).</summary>
    Tun,

    /// <summary>Layer 2: Ethernet frames.</summary>
    Tap,
}

/// <summary>
/// tun/tap devices through <c>/dev/net/tun</c> (Documentation/networking/tuntap.rst). The device
/// is created in the namespace of the thread that opens the clone device, so the open happens
/// inside <see cref="NetworkNamespace.Run{T}"/>.
/// </summary>
public static class TunDevice
{
    private const string CloneDevice = "/dev/net/tun";

    /// <summary>
    /// Creates (or attaches to) a tun/tap device and returns its queue. Without <paramref name="persist"/>, the device
    /// disappears when the handle closes. With <paramref name="vnetHeader"/> (IFF_VNET_HDR) every packet read or written
    /// starts with a <c>struct virtio_net_hdr</c>, which is what lets the queue carry offloads (TUNSETOFFLOAD).
    /// </summary>
    public static SafeTunHandle Open(NetworkNamespace? ns, string name, TunMode mode, bool persist = false, bool vnetHeader = false)
    {
        string operation = $"tuntap add {name} mode {mode.ToString().ToLowerInvariant()}";
        if (InterfaceName.Validate(name) is { } problem)
        {
            throw new NetlinkArgumentException(operation, ns?.Name ?? "current", problem);
        }

        return ns is null ? OpenHere(operation, "current", name, mode, persist, vnetHeader) : ns.Run(() => OpenHere(operation, ns.Name, name, mode, persist, vnetHeader));
    }

    /// <summary><c>ip tuntap add NAME mode tun|tap</c>: a persistent device that outlives this process.</summary>
    public static void CreatePersistent(NetworkNamespace? ns, string name, TunMode mode) => Open(ns, name, mode, persist: true).Dispose();

    private static unsafe SafeTunHandle OpenHere(string operation, string nsName, string name, TunMode mode, bool persist, bool vnetHeader)
    {
        var handle = SafeFileDescriptor.Wrap<SafeTunHandle>(open(CloneDevice, O_RDWR | O_CLOEXEC, 0), out int errno)
            ?? throw new NetlinkException(operation, nsName, errno, $"cannot open {CloneDevice}");

        // struct ifreq: char ifr_name[IFNAMSIZ]; short ifr_flags; padded to 40 bytes.
        byte* ifreq = stackalloc byte[40];
        new Span<byte>(ifreq, 40).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifreq, 15));
        *(short*)(ifreq + 16) = (short)((mode == TunMode.Tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0));
        try
        {
            if (ioctl(handle, TUNSETIFF, ifreq) != 0)
            {
                throw new NetlinkException(operation, nsName, Marshal.GetLastPInvokeError(), "TUNSETIFF failed");
            }

            if (persist && ioctl(handle, TUNSETPERSIST, 1) != 0)
            {
                throw new NetlinkException(operation, nsName, Marshal.GetLastPInvokeError(), "TUNSETPERSIST failed");
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }
}
