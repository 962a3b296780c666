namespace Strata.Agent.Kubelet.Probes;

public enum ProbeKind
{
    Liveness,
    Readiness,
    Startup,
}

/// <summary>One probe's result (pkg/probe Result): success, or failure with the output the Unhealthy event carries.</summary>
public sealed record ProbeOutcome(bool Success, string Output)
{
    public static ProbeOutcome Ok { get; } = new(true, string.Empty);

    public static ProbeOutcome Fail(string output) => new(false, output);
}
