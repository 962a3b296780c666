using k8s.Models;

namespace Strata.Controllers.Workloads;

/// <summary>
/// The Deployment rollout arithmetic of pkg/controller/deployment/util/deployment_util.go and
/// k8s.io/apimachinery/pkg/util/intstr: surge rounds up, unavailability rounds down, both zero means one unavailable.
/// </summary>
public static class RolloutMath
{
    /// <summary>intstr.GetScaledValueFromIntOrPercent.</summary>
    public static int Scaled(string? value, int total, bool roundUp)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        if (value.EndsWith('%'))
        {
            if (!int.TryParse(value[..^1], out var percent))
            {
                throw new FormatException($"invalid value for IntOrString: invalid value \"{value}\"");
            }

            var scaled = (double)percent * total / 100;
            return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
        }

        return int.TryParse(value, out var n) ? n : throw new FormatException($"invalid value for IntOrString: invalid type: string is not a percentage");
    }

    /// <summary>ResolveFenceposts: (maxSurge, maxUnavailable) for <paramref name="desired"/> replicas.</summary>
    public static (int Surge, int Unavailable) ResolveFenceposts(string? maxSurge, string? maxUnavailable, int desired)
    {
        var surge = Scaled(maxSurge ?? "0", desired, true);
        var unavailable = Scaled(maxUnavailable ?? "0", desired, false);
        return surge == 0 && unavailable == 0 ? (0, 1) : (surge, unavailable);
    }

    public static bool IsRollingUpdate(V1Deployment d) => (d.Spec.Strategy?.Type ?? "RollingUpdate") == "RollingUpdate";

    public static int Replicas(V1Deployment d) => d.Spec.Replicas ?? 1;

    public static int MaxSurge(V1Deployment d)
    {
        if (!IsRollingUpdate(d))
        {
            return 0;
        }

        var rolling = d.Spec.Strategy?.RollingUpdate;
        return ResolveFenceposts(rolling?.MaxSurge?.Value ?? "25%", rolling?.MaxUnavailable?.Value ?? "25%", Replicas(d)).Surge;
    }

    public static int MaxUnavailable(V1Deployment d)
    {
        if (!IsRollingUpdate(d) || Replicas(d) == 0)
        {
            return 0;
        }

        var rolling = d.Spec.Strategy?.RollingUpdate;
        var unavailable = ResolveFenceposts(rolling?.MaxSurge?.Value ?? "25%", rolling?.MaxUnavailable?.Value ?? "25%", Replicas(d)).Unavailable;
        return Math.Min(unavailable, Replicas(d));
    }

    /// <summary>NewRSNewReplicas: how far the new ReplicaSet may grow now.</summary>
    public static int NewReplicaSetReplicas(V1Deployment d, int allSpecReplicas, int newSpecReplicas)
    {
        if (!IsRollingUpdate(d))
        {
            return Replicas(d);
        }

        var maxTotal = Replicas(d) + MaxSurge(d);
        if (allSpecReplicas >= maxTotal)
        {
            return newSpecReplicas;
        }

        return newSpecReplicas + Math.Min(maxTotal - allSpecReplicas, Replicas(d) - newSpecReplicas);
    }

    /// <summary>
    /// How many old replicas may go now (reconcileOldReplicaSets' maxScaledDown): all pods minus the minimum
    /// available minus the new ReplicaSet's unavailable ones.
    /// </summary>
    public static int MaxScaledDown(V1Deployment d, int allSpecReplicas, int newSpecReplicas, int newAvailable) =>
        allSpecReplicas - (Replicas(d) - MaxUnavailable(d)) - (newSpecReplicas - newAvailable);

    /// <summary>GetProportion: the share of a proportional scale that goes to one ReplicaSet.</summary>
    public static int Proportion(int rsReplicas, int? rsMaxReplicasAnnotation, V1Deployment d, int toAdd, int added)
    {
        if (rsReplicas == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        var fraction = Fraction(rsReplicas, rsMaxReplicasAnnotation, d);
        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static int Fraction(int rsReplicas, int? annotated, V1Deployment d)
    {
        if (Replicas(d) == 0)
        {
            return -rsReplicas;
        }

        var deploymentReplicas = Replicas(d) + MaxSurge(d);
        var from = annotated ?? d.Status?.Replicas ?? 0;
        if (from == 0)
        {
            return 0;
        }

        return RoundToInt((double)rsReplicas * deploymentReplicas / from) - rsReplicas;
    }

    /// <summary>k8s.io/utils/integer.RoundToInt32: halves away from zero.</summary>
    public static int RoundToInt(double a) => a < 0 ? (int)(a - 0.5) : (int)(a + 0.5);
}
