namespace Strata.Netfilter;

/// <summary>
/// iptables-restore refused a payload. Nothing of it was applied: the kernel commits a table only when all of it
/// parses and loads, so the rules in place before the call are still there.
/// </summary>
public sealed class IptablesRestoreException(string message, int? lineNumber, string? line, string stderr)
    : Exception(message)
{
    /// <summary>The 1-based line of the payload iptables-restore reported, if it named one.</summary>
    public int? LineNumber { get; } = lineNumber;

    /// <summary>That line's text.</summary>
    public string? Line { get; } = line;

    public string Stderr { get; } = stderr;
}
