namespace Strata.Cli.Tests;

/// <summary>Runs the built <c>strata</c> CLI as a user would, as a separate process.</summary>
internal static class Strata
{
    private static readonly string s_assembly = Path.Combine(AppContext.BaseDirectory, "strata.dll");

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Tool.Run("dotnet", [s_assembly, .. args]);
}
