using System.Buffers;
using System.Text;
using Strata.Agent.Server;

namespace Strata.Agent.Tests.Server;

public sealed class LogTailTests
{
    [Theory]
    [InlineData("a\nb\nc\n", 0, "")]
    [InlineData("a\nb\nc\n", 1, "c\n")]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc\n", 3, "a\nb\nc\n")]
    [InlineData("a\nb\nc\n", 10, "a\nb\nc\n")]
    [InlineData("a\nb\nc", 1, "b\nc")] // An incomplete last line is not counted (upstream's FindTailLineStartIndex).
    [InlineData("a\nb\nc", 0, "c")]
    [InlineData("", 3, "")]
    [InlineData("\n\n", 1, "\n")]
    public void Tail_starts_at_the_last_complete_lines(string log, long lines, string expected)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(log));
        var start = LogTail.FindStart(stream, lines);
        Assert.Equal(expected, log[(int)start..]);
    }

    [Fact]
    public void Tail_finds_lines_across_blocks()
    {
        var lines = Enumerable.Range(0, 5000).Select(i => $"line {i} {new string('x', i % 37)}\n").ToList();
        var log = string.Concat(lines);
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(log));
        Assert.Equal(string.Concat(lines.TakeLast(1234)), log[(int)LogTail.FindStart(stream, 1234)..]);
    }

    [Fact]
    public void Timestamps_prefix_every_line_even_when_a_line_spans_chunks()
    {
        var prefixer = new TimestampPrefixer();
        var output = new ArrayBufferWriter<byte>();
        var first = new DateTimeOffset(2026, 12, 6, 2, 3, 4, TimeSpan.Zero).AddTicks(1234567);
        var second = first.AddSeconds(1);
        prefixer.Transform("one\ntw"u8, first, output);
        prefixer.Transform("o\nthree\n"u8, second, output);
        prefixer.Transform("fo"u8, second, output);
        Assert.Equal(
            "2026-12-06T02:03:04.123456700Z one\n2026-12-06T02:03:04.123456700Z two\n2026-12-06T02:03:05.123456700Z three\n2026-12-06T02:03:05.123456700Z fo",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
