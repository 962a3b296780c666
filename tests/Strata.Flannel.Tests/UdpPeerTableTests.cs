using System.Net;
using Strata.Flannel.Backend;
using Strata.Flannel.Udp;
using Strata.Netlink;

namespace Strata.Flannel.Tests;

public sealed class UdpPeerTableTests
{
    [Fact]
    public void FindsThePeerWhoseLeaseHoldsTheDestination()
    {
        var table = new UdpPeerTable(
        [
            new UdpPeer(IpPrefix.Parse("10.233.66.0/24"), IPAddress.Parse("192.168.50.12")),
            new UdpPeer(IpPrefix.Parse("10.233.67.0/24"), IPAddress.Parse("192.168.60.13")),
        ], 8285);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.60.13"), 8285).Serialize(), table.Find(0x0AE94305)); // 10.233.67.5
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.50.12"), 8285).Serialize(), table.Find(0x0AE942FE)); // 10.233.66.254
        Assert.Null(table.Find(0x0AE94101)); // 10.233.65.1: nobody's
        Assert.Null(UdpPeerTable.Empty.Find(0x0AE94305));
    }

    [Fact]
    public void DecrementTtlRecomputesTheHeaderChecksum()
    {
        // An ICMP echo header from 10.233.65.2 to 10.233.66.2, TTL 64, checksum computed by the kernel (tcpdump -x).
        byte[] packet = Convert.FromHexString("45000054123440004001" + "0000" + "0AE94102" + "0AE94202");
        Assert.True(UdpPeerTable.DecrementTtl(packet));
        Assert.Equal(63, packet[8]);
        Assert.Equal(0, Checksum(packet)); // a valid header sums to 0xffff, whose complement is 0

        packet[8] = 1;
        Assert.False(UdpPeerTable.DecrementTtl(packet)); // TTL exhausted: dropped
        Assert.False(UdpPeerTable.DecrementTtl(Convert.FromHexString("6000000000000000000000000000000000000000"))); // IPv6
        Assert.False(UdpPeerTable.DecrementTtl(new byte[10]));
    }

    private static int Checksum(byte[] header)
    {
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += (uint)((header[i] << 8) | header[i + 1]);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (int)(~sum & 0xffff);
    }
}

public sealed class UdpInteropLayoutTests
{
    [Fact]
    public void MmsghdrMatchesTheKernelsLayout()
    {
        // struct msghdr is 56 bytes on 64-bit Linux; struct mmsghdr adds msg_len after it.
        Assert.Equal(64, System.Runtime.InteropServices.Marshal.SizeOf<Strata.Flannel.Interop.Libc.MMsgHdr>());
        Assert.Equal(56, (int)System.Runtime.InteropServices.Marshal.OffsetOf<Strata.Flannel.Interop.Libc.MMsgHdr>(nameof(Strata.Flannel.Interop.Libc.MMsgHdr.Length)));
        Assert.Equal(16, System.Runtime.InteropServices.Marshal.SizeOf<Strata.Flannel.Interop.Libc.IoVec>());
    }

    [Fact]
    public unsafe void PeersAreNativeSockaddrIn()
    {
        var table = new UdpPeerTable([new UdpPeer(IpPrefix.Parse("10.233.66.0/24"), IPAddress.Parse("192.168.50.12"))], 8285);

        Assert.Equal(0, table.IndexOf(0x0AE94205));
        Assert.Equal(-1, table.IndexOf(0x0AE94305));
        // AF_INET (host order), port 8285 = 0x205d (network order), 192.168.50.12, eight zero bytes.
        Assert.Equal("0200205DC0A8320C0000000000000000", Convert.ToHexString(new ReadOnlySpan<byte>(table.NativeAddress(0), UdpPeerTable.SockaddrInLength)));
    }
}
