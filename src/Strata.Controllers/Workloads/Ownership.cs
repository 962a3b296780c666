using k8s;
using k8s.Models;

namespace Strata.Controllers.Workloads;

/// <summary>Controller references (metav1.GetControllerOf, NewControllerRef).</summary>
public static class Ownership
{
    public static V1OwnerReference? ControllerOf(V1ObjectMeta meta) => meta.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    public static V1OwnerReference ControllerRef(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    public static bool IsControlledBy(V1ObjectMeta meta, string uid) => ControllerOf(meta)?.Uid == uid;
}
