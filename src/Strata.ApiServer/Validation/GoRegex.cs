using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Strata.ApiServer.Validation;

/// <summary>
/// Go <c>regexp</c> (RE2) patterns, as schema <c>pattern</c>s are written, run on .NET: unanchored matching, <c>$</c>
/// only at the end of the text (without <c>(?m)</c>), ASCII-only <c>\d \w \s</c>, <c>\pL</c> and <c>(?P&lt;name&gt;</c>.
/// Patterns run with <see cref="RegexOptions.NonBacktracking"/>, linear like RE2, so a schema cannot make matching
/// blow up. Compiled patterns are cached.
/// </summary>
internal static class GoRegex
{
    private static readonly ConcurrentDictionary<string, (Regex? Regex, string? Error)> s_cache = new(StringComparer.Ordinal);

    public static bool TryCompile(string pattern, out Regex? regex, out string? error)
    {
        var entry = s_cache.GetOrAdd(pattern, Compile);
        regex = entry.Regex;
        error = entry.Error;
        return regex is not null;
    }

    private static (Regex?, string?) Compile(string pattern)
    {
        string translated;
        try
        {
            translated = Translate(pattern);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
        try
        {
            return (new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking), null);
        }
        catch (NotSupportedException)
        {
            try
            {
                return (new Regex(translated, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), null);
            }
            catch (ArgumentException e)
            {
                return (null, e.Message);
            }
        }
        catch (ArgumentException e)
        {
            return (null, "error parsing regexp: " + e.Message);
        }
    }

    private static readonly Dictionary<string, string> s_posixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = "\\x00-\\x7F",
        ["blank"] = "\\t ",
        ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>Rewrites the RE2 constructs whose .NET meaning differs.</summary>
    public static string Translate(string pattern)
    {
        var multiLine = HasFlag(pattern, 'm');
        var sb = new StringBuilder(pattern.Length + 16);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var n = pattern[i + 1];
                i++;
                switch (n)
                {
                    case 'd': sb.Append(inClass ? "0-9" : "[0-9]"); continue;
                    case 'D': sb.Append(inClass ? "\\D" : "[^0-9]"); continue;
                    case 'w': sb.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]"); continue;
                    case 'W': sb.Append(inClass ? "\\W" : "[^0-9A-Za-z_]"); continue;
                    case 's': sb.Append(inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"); continue;
                    case 'S': sb.Append(inClass ? "\\S" : "[^\\t\\n\\f\\r ]"); continue;
                    case 'z': sb.Append("\\z"); continue;
                    case 'p' or 'P' when i + 1 < pattern.Length && pattern[i + 1] != '{':
                        sb.Append('\\').Append(n).Append('{').Append(pattern[i + 1]).Append('}');
                        i++;
                        continue;
                    case 'Q':
                        var end = pattern.IndexOf("\\E", i + 1, StringComparison.Ordinal);
                        var literal = end < 0 ? pattern[(i + 1)..] : pattern[(i + 1)..end];
                        sb.Append(Regex.Escape(literal));
                        i = end < 0 ? pattern.Length : end + 1;
                        continue;
                    default:
                        sb.Append('\\').Append(n);
                        continue;
                }
            }
            if (inClass)
            {
                if (c == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':')
                {
                    var close = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    if (close > 0)
                    {
                        var name = pattern[(i + 2)..close];
                        var negated = name.StartsWith('^');
                        if (!negated && s_posixClasses.TryGetValue(name, out var members))
                        {
                            sb.Append(members);
                            i = close + 1;
                            continue;
                        }
                    }
                    sb.Append("\\[");
                    continue;
                }
                if (c == '[')
                {
                    sb.Append("\\[");
                    continue;
                }
                if (c == ']')
                {
                    inClass = false;
                }
                sb.Append(c);
                continue;
            }
            switch (c)
            {
                case '[':
                    inClass = true;
                    sb.Append('[');
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                    {
                        sb.Append('^');
                        i++;
                    }
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        sb.Append("\\]");
                        i++;
                    }
                    break;
                case '$' when !multiLine:
                    sb.Append("\\z");
                    break;
                case '(' when pattern.AsSpan(i).StartsWith("(?P<"):
                    sb.Append("(?<");
                    i += 3;
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        if (inClass)
        {
            throw new ArgumentException("error parsing regexp: missing closing ]: `" + pattern + "`");
        }
        return sb.ToString();
    }

    private static bool HasFlag(string pattern, char flag)
    {
        for (var i = pattern.IndexOf("(?", StringComparison.Ordinal); i >= 0; i = pattern.IndexOf("(?", i + 2, StringComparison.Ordinal))
        {
            for (var j = i + 2; j < pattern.Length && char.IsLetter(pattern[j]); j++)
            {
                if (pattern[j] == flag)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
