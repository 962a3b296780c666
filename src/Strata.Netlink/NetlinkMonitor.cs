using System.Runtime.InteropServices;
using System.Threading.Channels;
using Strata.Netlink.Protocol;
using static Strata.Netlink.Interop.Libc;
using static Strata.Netlink.Interop.Netlink;

namespace Strata.Netlink;

[Flags]
public enum MonitorGroups
{
    Links = 1,
    Addresses = 2,
    Routes = 4,
    Neighbours = 8,
    All = Links | Addresses | Routes | Neighbours,
}

/// <summary>A change the kernel announced. <see cref="Deleted"/> distinguishes RTM_DEL* from RTM_NEW*.</summary>
public abstract record NetlinkEvent(bool Deleted);

public sealed record LinkEvent(bool Deleted, Link Link) : NetlinkEvent(Deleted);

public sealed record AddressEvent(bool Deleted, InterfaceAddress Address) : NetlinkEvent(Deleted);

public sealed record RouteEvent(bool Deleted, Route Route) : NetlinkEvent(Deleted);

public sealed record NeighbourEvent(bool Deleted, Neighbour Neighbour) : NetlinkEvent(Deleted);

public sealed record FdbEvent(bool Deleted, FdbEntry Entry) : NetlinkEvent(Deleted);

/// <summary>The socket's buffer overflowed (ENOBUFS) and events were lost: resynchronise from a dump.</summary>
public sealed record OverrunEvent() : NetlinkEvent(false);

/// <summary>
/// Subscribes to rtnetlink multicast groups in one namespace (<c>ip monitor</c>), so agents can
/// repair state that someone deletes. A dedicated thread reads the socket and posts events to
/// <see cref="Events"/>.
/// </summary>
public sealed class NetlinkMonitor : IDisposable
{
    private const int PollMilliseconds = 100;

    private readonly SafeNetlinkSocketHandle _socket;
    private readonly Channel<NetlinkEvent> _events = Channel.CreateUnbounded<NetlinkEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Thread _reader;
    private volatile bool _stopping;

    private NetlinkMonitor(SafeNetlinkSocketHandle socket)
    {
        _socket = socket;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "netlink monitor" };
        _reader.Start();
    }

    public ChannelReader<NetlinkEvent> Events => _events.Reader;

    public static NetlinkMonitor Open(NetworkNamespace? ns, MonitorGroups groups = MonitorGroups.All)
    {
        var socket = ns is null ? Subscribe(groups) : ns.Run(() => Subscribe(groups));
        return new NetlinkMonitor(socket);
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join();
        _socket.Dispose();
        _events.Writer.TryComplete();
    }

    private static SafeNetlinkSocketHandle Subscribe(MonitorGroups groups)
    {
        var socket = Rtnetlink.CreateSocket(0);
        try
        {
            foreach (uint group in GroupNumbers(groups))
            {
                Rtnetlink.JoinGroup(socket, group);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    private static IEnumerable<uint> GroupNumbers(MonitorGroups groups)
    {
        if (groups.HasFlag(MonitorGroups.Links))
        {
            yield return RTNLGRP_LINK;
        }

        if (groups.HasFlag(MonitorGroups.Addresses))
        {
            yield return RTNLGRP_IPV4_IFADDR;
            yield return RTNLGRP_IPV6_IFADDR;
        }

        if (groups.HasFlag(MonitorGroups.Routes))
        {
            yield return RTNLGRP_IPV4_ROUTE;
            yield return RTNLGRP_IPV6_ROUTE;
        }

        if (groups.HasFlag(MonitorGroups.Neighbours))
        {
            yield return RTNLGRP_NEIGH;
        }
    }

    private unsafe void ReadLoop()
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(1 << 16, pinned: true);
        var poll = new pollfd { fd = _socket.Fd, events = POLLIN };
        while (!_stopping)
        {
            poll.revents = 0;
            int ready = Interop.Libc.poll(&poll, 1, PollMilliseconds);
            if (ready <= 0)
            {
                continue;
            }

            nint received;
            fixed (byte* data = buffer)
            {
                received = recv(_socket, data, (nuint)buffer.Length, MSG_DONTWAIT);
            }

            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Errno.ENOBUFS)
                {
                    _events.Writer.TryWrite(new OverrunEvent());
                }

                continue;
            }

            foreach (var message in new NetlinkMessageEnumerator(buffer.AsSpan(0, (int)received)))
            {
                NetlinkEvent? e;
                try
                {
                    e = Decode(message.Header.nlmsg_type, message.Payload);
                }
                catch (ArgumentException)
                {
                    // A payload shorter than its fixed header: an exception here would end the
                    // process (it is a dedicated thread), so report it as lost events instead.
                    e = new OverrunEvent();
                }

                if (e is not null)
                {
                    _events.Writer.TryWrite(e);
                }
            }
        }
    }

    internal static NetlinkEvent? Decode(ushort type, ReadOnlySpan<byte> payload) => type switch
    {
        RTM_NEWLINK or RTM_DELLINK => new LinkEvent(type == RTM_DELLINK, RtnetlinkDecoder.DecodeLink(payload)),
        RTM_NEWADDR or RTM_DELADDR => new AddressEvent(type == RTM_DELADDR, RtnetlinkDecoder.DecodeAddress(payload)),
        RTM_NEWROUTE or RTM_DELROUTE => new RouteEvent(type == RTM_DELROUTE, RtnetlinkDecoder.DecodeRoute(payload)),
        RTM_NEWNEIGH or RTM_DELNEIGH when RtnetlinkDecoder.IsBridgeFamily(payload) => new FdbEvent(type == RTM_DELNEIGH, RtnetlinkDecoder.DecodeFdb(payload)),
        RTM_NEWNEIGH or RTM_DELNEIGH => new NeighbourEvent(type == RTM_DELNEIGH, RtnetlinkDecoder.DecodeNeighbour(payload)),
        _ => null,
    };
}
