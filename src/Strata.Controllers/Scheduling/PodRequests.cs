using k8s.Models;

namespace Strata.Controllers.Scheduling;

/// <summary>
/// What a pod asks of a node (k8s.io/component-helpers resource.PodRequests, as noderesources fit uses it): the sum
/// of its containers' requests, at least the largest init container's, plus the pod overhead. A container without a
/// request but with a limit requests its limit (the API server's defaulting).
/// </summary>
public static class PodRequests
{
    public const string Cpu = "cpu";
    public const string Memory = "memory";
    public const string Pods = "pods";

    // pkg/scheduler/util DefaultMilliCPURequest / DefaultMemoryRequest: what a container without requests counts as
    // when scoring, so that spreading by load still sees it.
    private const decimal DefaultCpu = 0.1m;
    private const decimal DefaultMemory = 200m * 1024 * 1024;

    public static IReadOnlyDictionary<string, decimal> Of(V1Pod pod) => Compute(pod, nonZero: false);

    /// <summary>As <see cref="Of"/>, with cpu and memory defaulted per container (the scoring view).</summary>
    public static IReadOnlyDictionary<string, decimal> NonZero(V1Pod pod) => Compute(pod, nonZero: true);

    private static Dictionary<string, decimal> Compute(V1Pod pod, bool nonZero)
    {
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var container in pod.Spec?.Containers ?? [])
        {
            foreach (var (name, value) in Container(container, nonZero))
            {
                total[name] = total.GetValueOrDefault(name) + value;
            }
        }

        foreach (var init in pod.Spec?.InitContainers ?? [])
        {
            foreach (var (name, value) in Container(init, nonZero))
            {
                if (value > total.GetValueOrDefault(name))
                {
                    total[name] = value;
                }
            }
        }

        foreach (var (name, quantity) in pod.Spec?.Overhead ?? new Dictionary<string, ResourceQuantity>())
        {
            total[name] = total.GetValueOrDefault(name) + quantity.ToDecimal();
        }

        return total;
    }

    private static Dictionary<string, decimal> Container(V1Container container, bool nonZero)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (name, quantity) in container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>())
        {
            result[name] = quantity.ToDecimal();
        }

        foreach (var (name, quantity) in container.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            result[name] = quantity.ToDecimal();
        }

        if (nonZero)
        {
            result.TryAdd(Cpu, DefaultCpu);
            result.TryAdd(Memory, DefaultMemory);
        }

        return result;
    }
}
