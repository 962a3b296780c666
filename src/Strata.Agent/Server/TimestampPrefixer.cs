using System.Buffers;
using System.Globalization;
using System.Text;

namespace Strata.Agent.Server;

/// <summary>
/// <c>--timestamps</c> for plain-text logs: the files carry no time per line (the container writes its stdout and
/// stderr straight into them), so each line is prefixed with the time the server read it, in kubelet's format
/// (RFC 3339 with nanoseconds, UTC) and followed by a space. For lines read while following, that is within a poll
/// interval of when they were written; for lines already in the file it is only the time of the read.
/// </summary>
public sealed class TimestampPrefixer
{
    private bool _atLineStart = true;

    /// <summary>kuberuntime's timestampFormat: <c>2006-01-02T15:04:05.000000000Z07:00</c>.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'00Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="chunk"/> with a prefix before each line that starts in it (a line may span chunks).</summary>
    public void Transform(ReadOnlySpan<byte> chunk, DateTimeOffset readTime, IBufferWriter<byte> output)
    {
        var prefix = Encoding.ASCII.GetBytes(Format(readTime) + " ");
        while (!chunk.IsEmpty)
        {
            if (_atLineStart)
            {
                output.Write(prefix);
                _atLineStart = false;
            }

            var newline = chunk.IndexOf((byte)'\n');
            var line = newline < 0 ? chunk : chunk[..(newline + 1)];
            output.Write(line);
            chunk = chunk[line.Length..];
            _atLineStart = newline >= 0;
        }
    }
}
