using System.Buffers;
using System.Net.WebSockets;

namespace Strata.Agent.Server;

/// <summary>
/// A WebSocket speaking one <see cref="ChannelProtocol"/>: whole messages in, one message per write out (binary
/// frames, or text frames for the base64 protocols, as wsstream sends them), writes serialised.
/// </summary>
internal sealed class ChannelConnection(WebSocket socket, ChannelProtocol protocol) : IDisposable
{
    private const int MaxMessage = 1 << 20;

    private readonly SemaphoreSlim _sending = new(1, 1);

    public ChannelProtocol Protocol => protocol;

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var message = protocol.Encode(channel, data.Span);
        await _sending.WaitAsync(ct);
        try
        {
            await socket.SendAsync(message, protocol.Base64 ? WebSocketMessageType.Text : WebSocketMessageType.Binary, true, ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The next decoded message; null when the peer closed the connection. Throws if it broke.</summary>
    public async Task<ChannelMessage?> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(4096), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Advance(result.Count);
            if (buffer.WrittenCount > MaxMessage)
            {
                throw new WebSocketException(WebSocketError.Faulted, $"a message of more than {MaxMessage} bytes");
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            if (protocol.Decode(buffer.WrittenSpan) is { } message)
            {
                return message;
            }

            buffer.ResetWrittenCount();
        }
    }

    /// <summary>Ends the session from our side: a normal closure, which kubectl reads as the end of every stream.</summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    public void Dispose() => _sending.Dispose();
}
