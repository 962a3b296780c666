using System.Text;

namespace Strata.Agent.Images;

/// <summary>Writes an argv as a POSIX shell would need it typed (for descriptions and listings).</summary>
public static class ShellWords
{
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c)))
        {
            return word;
        }

        var quoted = new StringBuilder("'");
        quoted.Append(word.Replace("'", "'\\''", StringComparison.Ordinal));
        quoted.Append('\'');
        return quoted.ToString();
    }
}
