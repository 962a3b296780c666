namespace Strata.Agent.Server;

/// <summary>
/// The query of <c>/exec</c> as the kubelet reads it (cri/streaming/remotecommand NewOptions): <c>command</c>
/// repeated, and the streams <c>input</c>, <c>output</c>, <c>error</c> and <c>tty</c> on when "1". With a tty
/// there is no separate stderr (it is bypassed, as upstream).
/// </summary>
public sealed record ExecOptions(IReadOnlyList<string> Command, bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>The options, or the kubelet's error message for a request it refuses (400).</summary>
    public static (ExecOptions? Options, string? Error) Parse(Func<string, IReadOnlyList<string>> query)
    {
        var tty = QueryValues.Flag(query("tty"));
        var stdin = QueryValues.Flag(query("input"));
        var stdout = QueryValues.Flag(query("output"));
        var stderr = QueryValues.Flag(query("error")) && !tty;
        if (!stdin && !stdout && !stderr)
        {
            return (null, "you must specify at least 1 of stdin, stdout, stderr");
        }

        var command = query("command");
        if (command.Count == 0)
        {
            return (null, "you must specify at least one command for the container");
        }

        return (new ExecOptions(command, stdin, stdout, stderr, tty), null);
    }
}

/// <summary>A terminal size from the resize channel: <c>{"Width":W,"Height":H}</c> (remotecommand.TerminalSize).</summary>
public sealed record TerminalSize(ushort Width, ushort Height)
{
    public static TerminalSize? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)?.AsObject();
            var width = (int?)node?[nameof(Width)];
            var height = (int?)node?[nameof(Height)];
            return width is >= 0 and <= ushort.MaxValue && height is >= 0 and <= ushort.MaxValue
                ? new TerminalSize((ushort)width.Value, (ushort)height.Value)
                : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
