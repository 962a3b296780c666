namespace Strata.Agent.Kubelet.Pods;

/// <summary>
/// The restart back-off of a container (the kubelet's flowcontrol.Backoff keyed by container): the first restart
/// is immediate, each following one waits twice as long as the one before, from <see cref="Initial"/> up to
/// <see cref="Max"/>; a container that ran for twice <see cref="Max"/> before exiting starts over. Pure.
/// </summary>
public sealed record CrashLoopBackOff(TimeSpan Initial, TimeSpan Max)
{
    public static CrashLoopBackOff Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5));

    /// <summary>The delay before the next start, given the one before (null: none yet) and how long the container ran.</summary>
    public TimeSpan Next(TimeSpan? previous, TimeSpan ran)
    {
        if (previous is null || ran >= Max * 2)
        {
            return TimeSpan.Zero;
        }

        if (previous == TimeSpan.Zero)
        {
            return Initial;
        }

        var doubled = previous.Value * 2;
        return doubled > Max ? Max : doubled;
    }

    /// <summary>How the kubelet prints a delay in CrashLoopBackOff's message: 10s, 1m20s, 5m0s (Go's Duration.String).</summary>
    public static string Format(TimeSpan delay)
    {
        if (delay < TimeSpan.FromMinutes(1))
        {
            return $"{(int)delay.TotalSeconds}s";
        }

        return $"{(int)delay.TotalMinutes}m{delay.Seconds}s";
    }
}
