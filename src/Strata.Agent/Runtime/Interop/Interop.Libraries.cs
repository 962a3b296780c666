namespace Strata.Agent.Runtime;

/// <summary>The pod sandbox's native calls (conventions.md, rule 1): one nested class per library, one file per call.</summary>
internal static partial class Interop
{
    internal static partial class Libc
    {
        public const string Library = "libc";
    }
}
