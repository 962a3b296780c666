using System.Net;
using System.Net.Sockets;
using Strata.Netlink;

namespace Strata.Agent.Kubelet.Probes;

/// <summary>
/// TCP connections from the node's network namespace, as the kubelet's probes make them. When the agent runs in
/// the node's namespace (a lab node, a real node) that is its own; otherwise (tests) the socket is created on a
/// dedicated thread switched into the node's netns, which is where it then lives.
/// </summary>
public sealed class NodeSockets(string? nodeNetns)
{
    public Socket Create(AddressFamily family)
    {
        if (nodeNetns is null)
        {
            return new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        }

        using var ns = NetworkNamespace.Open(nodeNetns);
        return ns.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
    }

    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = Create(endpoint.AddressFamily);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
