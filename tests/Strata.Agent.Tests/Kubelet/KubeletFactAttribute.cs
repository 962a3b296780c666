namespace Strata.Agent.Tests.Kubelet;

/// <summary>An end-to-end kubelet test: needs root (namespaces, mounts) and Strata's plugins in out/cni; skipped with the reason otherwise.</summary>
public sealed class KubeletFactAttribute : FactAttribute
{
    public KubeletFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: it creates network, mount and UTS namespaces (CI runs as root)";
        }
        else if (KubeletHarness.SkipReason() is { } reason)
        {
            Skip = reason;
        }
    }
}
