namespace Strata.Agent.Server;

/// <summary>
/// Where the last N lines of a log start, as kuberuntime's tail.FindTailLineStartIndex finds it: scanning back from
/// the end for newlines. An incomplete last line (no newline yet) is not counted as a line, as upstream.
/// </summary>
public static class LogTail
{
    private const int BlockSize = 4096;

    /// <summary>The offset in a seekable <paramref name="log"/> at which its last <paramref name="lines"/> lines begin; 0 when it has fewer.</summary>
    public static long FindStart(Stream log, long lines)
    {
        if (lines < 0)
        {
            return 0;
        }

        var buffer = new byte[BlockSize];
        var end = log.Length;
        long newlines = 0;
        while (end > 0)
        {
            var size = (int)Math.Min(BlockSize, end);
            var start = end - size;
            log.Position = start;
            log.ReadExactly(buffer, 0, size);
            for (var i = size - 1; i >= 0; i--)
            {
                if (buffer[i] == (byte)'\n' && ++newlines > lines)
                {
                    return start + i + 1;
                }
            }

            end = start;
        }

        return 0;
    }
}
