using System.Text.Json.Nodes;

namespace Strata.ApiServer.Selection;

/// <summary>
/// A parsed <c>labelSelector</c> query, with the grammar of k8s.io/apimachinery/pkg/labels/selector.go:
/// <c>k</c>, <c>!k</c>, <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k&gt;1</c>, <c>k&lt;1</c>, comma-separated (all must hold).
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            requirements.Add(ParseRequirement(part.Trim(), text));
        }

        return new LabelSelector(requirements);
    }

    /// <summary>A selector from a <c>metav1.LabelSelector</c> object (matchLabels and matchExpressions).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        foreach (var (key, value) in selector["matchLabels"]?.AsObject() ?? [])
        {
            requirements.Add(new Requirement(key, Operator.Equals, [(string)value!]));
        }

        foreach (var expression in selector["matchExpressions"]?.AsArray() ?? [])
        {
            var values = expression!["values"]?.AsArray().Select(v => (string)v!).ToArray() ?? [];
            var op = (string?)expression["operator"] switch
            {
                "In" => Operator.In,
                "NotIn" => Operator.NotIn,
                "Exists" => Operator.Exists,
                "DoesNotExist" => Operator.DoesNotExist,
                var other => throw new FormatException($"\"{other}\" is not a valid label selector operator"),
            };
            requirements.Add(new Requirement((string)expression["key"]!, op, values));
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(JsonObject? labels)
    {
        foreach (var requirement in _requirements)
        {
            var value = labels?[requirement.Key] is JsonNode node ? (string?)node : null;
            if (!requirement.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => string.Join(",", _requirements);

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part, string whole)
    {
        if (part.Length == 0)
        {
            throw new FormatException($"unable to parse requirement: found '', expected: identifier in \"{whole}\"");
        }

        if (part.StartsWith('!'))
        {
            return new Requirement(CheckKey(part[1..].Trim()), Operator.DoesNotExist, []);
        }

        foreach (var (token, op) in new[] { ("!=", Operator.NotEquals), ("==", Operator.Equals), ("=", Operator.Equals), (">", Operator.GreaterThan), ("<", Operator.LessThan) })
        {
            var at = part.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = CheckKey(part[..at].Trim());
                var value = CheckValue(part[(at + token.Length)..].Trim());
                if (op is Operator.GreaterThan or Operator.LessThan && !long.TryParse(value, out _))
                {
                    throw new FormatException($"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
                }

                return new Requirement(key, op, [value]);
            }
        }

        var words = part.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2)
        {
            var rest = words[1];
            var setOp = rest.StartsWith("notin", StringComparison.Ordinal) ? Operator.NotIn
                : rest.StartsWith("in", StringComparison.Ordinal) ? Operator.In
                : throw new FormatException($"unable to parse requirement: found '{rest}', expected: in, notin, =, ==, !=, gt, lt");
            var list = rest[(setOp == Operator.In ? 2 : 5)..].Trim();
            if (!list.StartsWith('(') || !list.EndsWith(')'))
            {
                throw new FormatException($"unable to parse requirement: found '{list}', expected: '('");
            }

            var values = list[1..^1].Split(',', StringSplitOptions.TrimEntries).Select(CheckValue).ToArray();
            return new Requirement(CheckKey(words[0]), setOp, values);
        }

        return new Requirement(CheckKey(part), Operator.Exists, []);
    }

    private static string CheckKey(string key)
    {
        var name = key.Contains('/') ? key[(key.IndexOf('/') + 1)..] : key;
        if (name.Length is 0 or > 63 || !System.Text.RegularExpressions.Regex.IsMatch(name, "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"))
        {
            throw new FormatException($"unable to parse requirement: invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
        }

        return key;
    }

    private static string CheckValue(string value)
    {
        if (value.Length > 63 || (value.Length > 0 && !System.Text.RegularExpressions.Regex.IsMatch(value, "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")))
        {
            throw new FormatException($"unable to parse requirement: invalid label value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
        }

        return value;
    }

    private enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan,
    }

    private sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values)
    {
        public bool Matches(string? value) => Op switch
        {
            Operator.Equals or Operator.In => value is not null && Values.Contains(value),
            Operator.NotEquals or Operator.NotIn => value is null || !Values.Contains(value),
            Operator.Exists => value is not null,
            Operator.DoesNotExist => value is null,
            Operator.GreaterThan => long.TryParse(value, out var g) && g > long.Parse(Values[0]),
            Operator.LessThan => long.TryParse(value, out var l) && l < long.Parse(Values[0]),
            _ => false,
        };

        public override string ToString() => Op switch
        {
            Operator.Equals => $"{Key}={Values[0]}",
            Operator.NotEquals => $"{Key}!={Values[0]}",
            Operator.In => $"{Key} in ({string.Join(",", Values)})",
            Operator.NotIn => $"{Key} notin ({string.Join(",", Values)})",
            Operator.Exists => Key,
            Operator.DoesNotExist => "!" + Key,
            Operator.GreaterThan => $"{Key}>{Values[0]}",
            _ => $"{Key}<{Values[0]}",
        };
    }
}
