using System.Globalization;

namespace Strata.Lab;

/// <summary>What /proc/PID/stat says about a process: its state letter and start time.</summary>
public readonly record struct ProcessIdentity(char State, ulong StartTime)
{
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>Reads /proc/PID/stat; null when there is no such process.</summary>
    public static ProcessIdentity? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(text);
    }

    /// <summary>
    /// Parses a stat line. The command name (field 2) is in parentheses and may itself contain
    /// spaces and parentheses, so fields are counted from the last ')': state is field 3, start time field 22.
    /// </summary>
    public static ProcessIdentity? Parse(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20 || fields[0].Length != 1 ||
            !ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong start))
        {
            return null;
        }

        return new ProcessIdentity(fields[0][0], start);
    }

    /// <summary>Whether the process recorded as (pid, startTime) still runs: same pid, same start time, not a zombie.</summary>
    public static bool IsAlive(int pid, ulong startTime) => Read(pid) is { } now && now.StartTime == startTime && !now.IsZombie;
}
