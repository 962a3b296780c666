using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Dns.Wire;

namespace Strata.Dns.Forwarding;

/// <summary>
/// Sends questions outside the cluster zone to upstream resolvers (CoreDNS plugin/forward): UDP first, TCP when the
/// answer comes back truncated. An upstream that refuses (ICMP port unreachable), times out or answers garbage is
/// marked down and skipped; a background probe (". IN NS", as forward's health check asks) brings it back. When every
/// upstream is down the answer is an immediate failure, so clients get SERVFAIL at once instead of waiting out
/// their own 5-second timeouts.
/// </summary>
public sealed class Forwarder : IAsyncDisposable
{
    public const ushort AdvertisedPayload = 1232;

    private readonly Upstream[] _upstreams;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _next;

    public Forwarder(IReadOnlyList<IPEndPoint> upstreams, TimeSpan? timeout = null, ILogger? logger = null)
    {
        _upstreams = [.. upstreams.Select(e => new Upstream(e))];
        _timeout = timeout ?? TimeSpan.FromSeconds(2);
        _logger = logger ?? NullLogger.Instance;
    }

    public IReadOnlyList<IPEndPoint> Upstreams => [.. _upstreams.Select(u => u.Endpoint)];

    /// <summary>The upstream's answer, or null when no upstream could give one.</summary>
    public async Task<DnsMessage?> ExchangeAsync(DnsQuestion question, bool checkingDisabled, CancellationToken cancellationToken)
    {
        var start = Interlocked.Increment(ref _next);
        for (var i = 0; i < _upstreams.Length; i++)
        {
            var upstream = _upstreams[(int)((uint)(start + i) % (uint)_upstreams.Length)];
            if (upstream.Down)
            {
                continue;
            }

            try
            {
                return await QueryAsync(upstream.Endpoint, question, checkingDisabled, _timeout, cancellationToken);
            }
            catch (Exception e) when (e is SocketException or TimeoutException or DnsFormatException or IOException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                MarkDown(upstream, e.Message);
            }
        }

        return null;
    }

    /// <summary>One exchange with one server: UDP, then TCP if the answer is truncated. Throws on any failure.</summary>
    public static async Task<DnsMessage> QueryAsync(IPEndPoint server, DnsQuestion question, bool checkingDisabled, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var id = (ushort)Random.Shared.Next(0, 65536);
        var query = DnsMessage.Query(id, question.Name, question.Type, edns: new Edns(AdvertisedPayload)) with
        {
            Questions = [question],
        };
        query = query with { Flags = query.Flags with { CheckingDisabled = checkingDisabled } };
        var bytes = DnsWriter.Write(query);
        try
        {
            var response = await UdpAsync(server, bytes, id, question, deadline.Token);
            if (response.Flags.Truncated)
            {
                response = await TcpAsync(server, bytes, id, question, deadline.Token);
            }

            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{server} did not answer within {timeout.TotalMilliseconds:0} ms");
        }
    }

    private static async Task<DnsMessage> UdpAsync(IPEndPoint server, byte[] query, ushort id, DnsQuestion question, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected, so that ICMP port unreachable surfaces as ConnectionRefused and only the server's packets arrive.
        await socket.ConnectAsync(server, cancellationToken);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken);
        var buffer = new byte[65535];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            DnsMessage response;
            try
            {
                response = DnsReader.Parse(buffer.AsSpan(0, n));
            }
            catch (DnsFormatException)
            {
                continue;
            }

            if (Matches(response, id, question))
            {
                return response;
            }
        }
    }

    private static async Task<DnsMessage> TcpAsync(IPEndPoint server, byte[] query, ushort id, DnsQuestion question, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken);
        var length = new byte[2];
        await stream.ReadExactlyAsync(length, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        var response = DnsReader.Parse(body);
        if (!Matches(response, id, question))
        {
            throw new IOException($"{server} answered over TCP with a different id or question");
        }

        return response;
    }

    private static bool Matches(DnsMessage response, ushort id, DnsQuestion question) =>
        response.Flags.Response && response.Id == id && response.Question is { } q
        && DnsName.Equal(q.Name, question.Name) && q.Type == question.Type;

    private void MarkDown(Upstream upstream, string reason)
    {
        if (Interlocked.Exchange(ref upstream.DownFlag, 1) == 1)
        {
            return;
        }

        ForwarderLog.UpstreamDown(_logger, upstream.Endpoint, reason);
        _ = Task.Run(() => ProbeAsync(upstream));
    }

    private async Task ProbeAsync(Upstream upstream)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _stop.Token);
                await QueryAsync(upstream.Endpoint, new DnsQuestion("", DnsType.NS), false, _timeout, _stop.Token);
                Volatile.Write(ref upstream.DownFlag, 0);
                ForwarderLog.UpstreamUp(_logger, upstream.Endpoint);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or TimeoutException or DnsFormatException or IOException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }

    private sealed class Upstream(IPEndPoint endpoint)
    {
        public int DownFlag;

        public IPEndPoint Endpoint => endpoint;

        public bool Down => Volatile.Read(ref DownFlag) == 1;
    }
}

internal static partial class ForwarderLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "upstream {Upstream} is down ({Reason}); probing it until it answers")]
    public static partial void UpstreamDown(ILogger logger, IPEndPoint upstream, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "upstream {Upstream} answers again")]
    public static partial void UpstreamUp(ILogger logger, IPEndPoint upstream);
}
