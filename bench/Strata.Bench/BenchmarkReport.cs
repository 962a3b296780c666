using System.Text;
using System.Text.Json;

namespace Strata.Bench;

/// <summary>One phase measured for the reference tool and for Strata in the same run (seconds, median of the rounds).</summary>
public sealed record PhaseResult(string Phase, double ReferenceSeconds, double StrataSeconds)
{
    public double Ratio => StrataSeconds / ReferenceSeconds;
}

/// <summary>
/// A side-by-side result: the reference tool and Strata on the same workload, in the same run.
/// <see cref="Ratio"/> is Strata's time over the reference's, so below 1.0 means Strata is faster.
/// </summary>
public sealed record BenchmarkReport(string Name, string Workload, string Reference, int Rounds, IReadOnlyList<PhaseResult> Phases)
{
    public double ReferenceSeconds => Phases.Sum(p => p.ReferenceSeconds);

    public double StrataSeconds => Phases.Sum(p => p.StrataSeconds);

    public double Ratio => StrataSeconds / ReferenceSeconds;

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"benchmark: {Name}");
        text.AppendLine($"workload:  {Workload}");
        text.AppendLine($"reference: {Reference}");
        text.AppendLine($"rounds:    {Rounds} (median of each phase)");
        text.AppendLine();
        text.AppendLine($"{"phase",-10} {"reference",12} {"strata",12} {"ratio",8}");
        foreach (var phase in Phases.Append(new PhaseResult("total", ReferenceSeconds, StrataSeconds)))
        {
            // Sub-millisecond phases (latencies) keep microsecond digits.
            var format = phase.ReferenceSeconds < 0.001 && phase.StrataSeconds < 0.001 ? "F3" : "F1";
            text.AppendLine($"{phase.Phase,-10} {(phase.ReferenceSeconds * 1000).ToString(format, System.Globalization.CultureInfo.InvariantCulture),9} ms {(phase.StrataSeconds * 1000).ToString(format, System.Globalization.CultureInfo.InvariantCulture),9} ms {phase.Ratio,8:F3}");
        }

        text.AppendLine();
        text.AppendLine($"ratio (strata / reference): {Ratio:F3}");
        return text.ToString();
    }

    public string ToJson()
    {
        return BenchJson.Object(json =>
        {
            json.WriteString("benchmark", Name);
            json.WriteString("workload", Workload);
            json.WriteString("reference", Reference);
            json.WriteNumber("rounds", Rounds);
            json.WriteNumber("reference_seconds", Math.Round(ReferenceSeconds, 6));
            json.WriteNumber("strata_seconds", Math.Round(StrataSeconds, 6));
            json.WriteNumber("ratio", Math.Round(Ratio, 4));
            json.WriteStartArray("phases");
            foreach (var phase in Phases)
            {
                json.WriteStartObject();
                json.WriteString("phase", phase.Phase);
                json.WriteNumber("reference_seconds", Math.Round(phase.ReferenceSeconds, 6));
                json.WriteNumber("strata_seconds", Math.Round(phase.StrataSeconds, 6));
                json.WriteNumber("ratio", Math.Round(phase.Ratio, 4));
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
