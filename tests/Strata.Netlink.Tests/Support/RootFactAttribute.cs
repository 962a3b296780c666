namespace Strata.Netlink.Tests;

/// <summary>A test that touches the kernel: it needs root, and says so when skipped (conventions.md, rule 10).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: it creates network namespaces (CI runs as root)";
        }
    }
}

public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: it creates network namespaces (CI runs as root)";
        }
    }
}
