using System.Text.Json.Nodes;

namespace Strata.ApiServer.Printing;

/// <summary>
/// The JSONPath of a CRD's additionalPrinterColumn, as apiextensions-apiserver's tableconvertor evaluates it with
/// client-go's jsonpath: fields (<c>.a.b</c>), indexes (<c>[0]</c>), wildcards (<c>[*]</c>) and equality filters
/// (<c>[?(@.type=="Ready")]</c>, also <c>!=</c>). The cell is the first result, as upstream takes
/// <c>results[0][0]</c>; a path outside this subset yields no value rather than an error.
/// </summary>
public sealed class PrinterColumnPath
{
    private readonly List<Step>? _steps;

    private PrinterColumnPath(List<Step>? steps) => _steps = steps;

    public static PrinterColumnPath Parse(string path) => new(TryParse(path.Trim()));

    /// <summary>The first value the path selects in <paramref name="root"/>, or null.</summary>
    public JsonNode? First(JsonNode root)
    {
        if (_steps is null)
        {
            return null;
        }

        IEnumerable<JsonNode> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(step.Apply);
        }

        return current.FirstOrDefault();
    }

    private static List<Step>? TryParse(string path)
    {
        if (path.StartsWith('{') && path.EndsWith('}'))
        {
            path = path[1..^1];
        }

        var steps = new List<Step>();
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '['))
                {
                    end++;
                }

                if (end == i + 1)
                {
                    return null;
                }

                steps.Add(new FieldStep(path[(i + 1)..end]));
                i = end;
            }
            else if (path[i] == '[')
            {
                var close = FindClose(path, i);
                if (close < 0)
                {
                    return null;
                }

                var inner = path[(i + 1)..close].Trim();
                Step? step = inner switch
                {
                    "*" => new WildcardStep(),
                    _ when int.TryParse(inner, out var index) => new IndexStep(index),
                    _ when inner.StartsWith("?(") && inner.EndsWith(')') => FilterStep.TryParse(inner[2..^1]),
                    _ when inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0] => new FieldStep(inner[1..^1]),
                    _ => null,
                };
                if (step is null)
                {
                    return null;
                }

                steps.Add(step);
                i = close + 1;
            }
            else
            {
                return null;
            }
        }

        return steps.Count == 0 ? null : steps;
    }

    /// <summary>The index of the <c>]</c> closing the bracket at <paramref name="open"/>, skipping quoted text.</summary>
    private static int FindClose(string path, int open)
    {
        char? quote = null;
        for (var i = open + 1; i < path.Length; i++)
        {
            var c = path[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == ']')
            {
                return i;
            }
        }

        return -1;
    }

    private abstract class Step
    {
        public abstract IEnumerable<JsonNode> Apply(JsonNode node);
    }

    private sealed class FieldStep(string name) : Step
    {
        public override IEnumerable<JsonNode> Apply(JsonNode node) =>
            node is JsonObject o && o[name] is { } value ? [value] : [];
    }

    private sealed class IndexStep(int index) : Step
    {
        public override IEnumerable<JsonNode> Apply(JsonNode node) => node switch
        {
            JsonArray a when index >= 0 && index < a.Count && a[index] is { } item => [item],
            JsonArray a when index < 0 && -index <= a.Count && a[a.Count + index] is { } item => [item],
            _ => [],
        };
    }

    private sealed class WildcardStep : Step
    {
        public override IEnumerable<JsonNode> Apply(JsonNode node) => node switch
        {
            JsonArray a => a.OfType<JsonNode>(),
            JsonObject o => o.Select(p => p.Value).OfType<JsonNode>(),
            _ => [],
        };
    }

    /// <summary><c>@.a.b == "v"</c> or <c>!=</c>, over the items of an array.</summary>
    private sealed class FilterStep(List<string> field, bool equal, JsonNode? literal) : Step
    {
        public static FilterStep? TryParse(string expression)
        {
            var op = expression.IndexOf("==", StringComparison.Ordinal);
            var equal = true;
            if (op < 0)
            {
                op = expression.IndexOf("!=", StringComparison.Ordinal);
                equal = false;
            }

            if (op < 0)
            {
                return null;
            }

            var left = expression[..op].Trim();
            var right = expression[(op + 2)..].Trim();
            if (!left.StartsWith("@.", StringComparison.Ordinal))
            {
                return null;
            }

            JsonNode? literal = right.Length >= 2 && right[0] is '"' or '\'' && right[^1] == right[0]
                ? JsonValue.Create(right[1..^1])
                : double.TryParse(right, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : right is "true" or "false" ? JsonValue.Create(right == "true") : null;
            return literal is null ? null : new FilterStep([.. left[2..].Split('.')], equal, literal);
        }

        public override IEnumerable<JsonNode> Apply(JsonNode node)
        {
            if (node is not JsonArray items)
            {
                yield break;
            }

            foreach (var item in items.OfType<JsonNode>())
            {
                JsonNode? value = item;
                foreach (var name in field)
                {
                    value = value is JsonObject o ? o[name] : null;
                }

                if (value is not null && Matches(value) == equal)
                {
                    yield return item;
                }
            }
        }

        private bool Matches(JsonNode value) => value.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number when literal!.GetValueKind() == System.Text.Json.JsonValueKind.Number =>
                value.GetValue<double>() == literal.GetValue<double>(),
            _ => JsonNode.DeepEquals(value, literal),
        };
    }
}
