namespace Strata.Bench;

/// <summary>The storage backends <c>strata bench apiserver</c> measures on this machine.</summary>
public static class ApiServerBackends
{
    public static IReadOnlyList<ApiServerBenchmark.Backend> Available() =>
    [
        new("sqlite", _ => { }),
    ];
}
