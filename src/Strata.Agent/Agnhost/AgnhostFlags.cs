using System.Globalization;
using System.Text;

namespace Strata.Agent.Agnhost;

/// <summary>A bad command line for an agnhost subcommand; the message is worded as cobra and pflag word theirs.</summary>
public sealed class AgnhostUsageException(string message) : Exception(message);

/// <summary>
/// The flags of one agnhost subcommand, parsed as Go's pflag does: <c>--name=value</c>, <c>--name value</c>,
/// <c>--name</c> for a bool (or <c>--name=false</c>), no positional arguments (cobra.MaximumNArgs(0)).
/// </summary>
public sealed class AgnhostFlags
{
    private readonly Dictionary<string, Flag> _flags = new(StringComparer.Ordinal);

    public AgnhostFlags Int(string name, int defaultValue, string usage) => Add(name, FlagKind.Int, defaultValue.ToString(CultureInfo.InvariantCulture), usage);

    public AgnhostFlags Bool(string name, bool defaultValue, string usage) => Add(name, FlagKind.Bool, defaultValue ? "true" : "false", usage);

    public AgnhostFlags String(string name, string defaultValue, string usage) => Add(name, FlagKind.String, defaultValue, usage);

    /// <summary>True when <c>--help</c> or <c>-h</c> was given.</summary>
    public bool HelpRequested { get; private set; }

    public void Parse(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "--help" or "-h")
            {
                HelpRequested = true;
                continue;
            }

            if (arg == "--")
            {
                if (i + 1 < args.Count)
                {
                    throw new AgnhostUsageException($"accepts at most 0 arg(s), received {args.Count - i - 1}");
                }

                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (arg.StartsWith('-') && arg.Length > 1)
                {
                    throw new AgnhostUsageException($"unknown shorthand flag: '{arg[1]}' in {arg}");
                }

                throw new AgnhostUsageException($"accepts at most 0 arg(s), received {args.Skip(i).Count(a => !a.StartsWith('-'))}");
            }

            string body = arg[2..];
            int equals = body.IndexOf('=');
            string name = equals >= 0 ? body[..equals] : body;
            if (!_flags.TryGetValue(name, out var flag))
            {
                throw new AgnhostUsageException($"unknown flag: --{name}");
            }

            string value;
            if (equals >= 0)
            {
                value = body[(equals + 1)..];
            }
            else if (flag.Kind == FlagKind.Bool)
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new AgnhostUsageException($"flag needs an argument: --{name}");
            }

            flag.Value = Validate(flag, value);
        }
    }

    public int GetInt(string name) => int.Parse(_flags[name].Value, CultureInfo.InvariantCulture);

    public bool GetBool(string name) => _flags[name].Value == "true";

    public string GetString(string name) => _flags[name].Value;

    /// <summary>The flags section of the usage text, as cobra prints it.</summary>
    public string Usage()
    {
        var text = new StringBuilder("Flags:\n");
        foreach (var flag in _flags.Values)
        {
            string type = flag.Kind switch { FlagKind.Int => " int", FlagKind.String => " string", _ => "" };
            string defaults = flag.Kind switch
            {
                FlagKind.Bool when flag.Default == "false" => "",
                FlagKind.Int when flag.Default == "0" => "",
                FlagKind.String when flag.Default.Length == 0 => "",
                FlagKind.String => $" (default \"{flag.Default}\")",
                _ => $" (default {flag.Default})",
            };
            text.Append($"      --{flag.Name}{type}   {flag.Usage}{defaults}\n");
        }

        text.Append("  -h, --help   help for this command\n");
        return text.ToString();
    }

    private AgnhostFlags Add(string name, FlagKind kind, string defaultValue, string usage)
    {
        _flags.Add(name, new Flag(name, kind, defaultValue, usage) { Value = defaultValue });
        return this;
    }

    private static string Validate(Flag flag, string value)
    {
        switch (flag.Kind)
        {
            case FlagKind.Int:
                if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
                {
                    throw new AgnhostUsageException(
                        $"invalid argument {GoFormat.Quote(value)} for \"--{flag.Name}\" flag: strconv.ParseInt: parsing {GoFormat.Quote(value)}: invalid syntax");
                }

                return number.ToString(CultureInfo.InvariantCulture);
            case FlagKind.Bool:
                return value switch
                {
                    "1" or "t" or "T" or "true" or "TRUE" or "True" => "true",
                    "0" or "f" or "F" or "false" or "FALSE" or "False" => "false",
                    _ => throw new AgnhostUsageException(
                        $"invalid argument {GoFormat.Quote(value)} for \"--{flag.Name}\" flag: strconv.ParseBool: parsing {GoFormat.Quote(value)}: invalid syntax"),
                };
            default:
                return value;
        }
    }

    private enum FlagKind
    {
        Int,
        Bool,
        String,
    }

    private sealed record Flag(string Name, FlagKind Kind, string Default, string Usage)
    {
        public string Value { get; set; } = Default;
    }
}
