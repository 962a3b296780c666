namespace Strata.Netlink.Tests;

/// <summary>Paths in the checkout the tests run from (found by walking up to Strata.slnx).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The NativeAOT plugins that `make build` publishes.</summary>
    public static string Plugins => Path.Combine(Root, "out", "cni");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Strata.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Strata.slnx) above " + AppContext.BaseDirectory);
    }
}
