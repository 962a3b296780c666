using System.Text;

namespace Strata.Agent.Server;

/// <summary>
/// The WebSocket subprotocols of remote command streaming (apimachinery wsstream and util/remotecommand): each
/// message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize), as a byte in the binary
/// protocols or as the digit '0'+channel followed by base64 in the base64 ones. v4 puts a <c>metav1.Status</c> on the
/// error channel (so exit codes travel); v5 adds channel 255, "close the stream named by the next byte" (stdin EOF).
/// </summary>
public sealed record ChannelProtocol(string Name, int Version, bool Base64)
{
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    public static readonly ChannelProtocol V5 = new("v5.channel.k8s.io", 5, false);
    public static readonly ChannelProtocol V4 = new("v4.channel.k8s.io", 4, false);
    public static readonly ChannelProtocol V4Base64 = new("v4.base64.channel.k8s.io", 4, true);
    public static readonly ChannelProtocol V1 = new("channel.k8s.io", 1, false);
    public static readonly ChannelProtocol V1Base64 = new("base64.channel.k8s.io", 1, true);

    /// <summary>No subprotocol asked for: the binary channel protocol, as upstream's "" entry.</summary>
    public static readonly ChannelProtocol Unnamed = new("", 1, false);

    public static IReadOnlyList<ChannelProtocol> Supported { get; } = [V5, V4, V4Base64, V1, V1Base64];

    /// <summary>The first protocol the client offers that is supported (upstream's handshake order), or null when none is.</summary>
    public static ChannelProtocol? Negotiate(IReadOnlyList<string> offered)
    {
        if (offered.Count == 0)
        {
            return Unnamed;
        }

        foreach (var name in offered)
        {
            if (Supported.FirstOrDefault(p => p.Name == name) is { } protocol)
            {
                return protocol;
            }
        }

        return null;
    }

    /// <summary>One message carrying <paramref name="data"/> on <paramref name="channel"/>.</summary>
    public byte[] Encode(byte channel, ReadOnlySpan<byte> data)
    {
        if (Base64)
        {
            return Encoding.ASCII.GetBytes((char)('0' + channel) + Convert.ToBase64String(data));
        }

        var message = new byte[data.Length + 1];
        message[0] = channel;
        data.CopyTo(message.AsSpan(1));
        return message;
    }

    /// <summary>The channel and payload of a received message; null for an empty message (ignored, as upstream) or bad base64.</summary>
    public ChannelMessage? Decode(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return null;
        }

        if (!Base64)
        {
            return new ChannelMessage(message[0], message[1..].ToArray());
        }

        var channel = (byte)(message[0] - '0');
        var buffer = new byte[message.Length];
        return Convert.TryFromBase64String(Encoding.ASCII.GetString(message[1..]), buffer, out var written)
            ? new ChannelMessage(channel, buffer[..written])
            : null;
    }
}

/// <summary>A received message: its channel and payload.</summary>
public sealed record ChannelMessage(byte Channel, byte[] Data)
{
    /// <summary>v5's close signal: the channel whose stream the peer has finished (payload's first byte); null otherwise.</summary>
    public byte? ClosedChannel => Channel == ChannelProtocol.Close && Data.Length > 0 ? Data[0] : null;
}
