using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.Workloads;

/// <summary>RealPodControl (pkg/controller/controller_utils.go): creates pods from a template and deletes them, with events on the owner.</summary>
public sealed class PodControl(IKubeClient client, EventRecorder recorder)
{
    /// <summary>GetPodFromTemplate: labels, annotations, finalizers and spec of the template, generateName <c>&lt;owner&gt;-</c>.</summary>
    public static V1Pod FromTemplate(V1PodTemplateSpec template, IKubernetesObject<V1ObjectMeta> owner, V1OwnerReference controllerRef)
    {
        var copy = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(template));
        var prefix = owner.Metadata.Name + "-";
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = prefix.Length <= 63 ? prefix : owner.Metadata.Name,
                NamespaceProperty = owner.Metadata.NamespaceProperty,
                Labels = copy.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : null,
                Annotations = copy.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : null,
                Finalizers = copy.Metadata?.Finalizers,
                OwnerReferences = [controllerRef],
            },
            Spec = copy.Spec,
        };
    }

    public async Task<V1Pod> CreateAsync(V1Pod pod, IKubernetesObject<V1ObjectMeta> owner, CancellationToken cancellationToken)
    {
        try
        {
            var created = await client.CreateAsync(pod, cancellationToken);
            await recorder.NormalAsync(owner, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}", cancellationToken);
            return created;
        }
        catch (KubeApiException e)
        {
            await recorder.WarningAsync(owner, "FailedCreate", $"Error creating: {e.Message}", cancellationToken);
            throw;
        }
    }

    /// <summary>Deletes the pod; false if it was already gone.</summary>
    public async Task<bool> DeleteAsync(V1Pod pod, IKubernetesObject<V1ObjectMeta> owner, CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, null, cancellationToken);
            if (deleted)
            {
                await recorder.NormalAsync(owner, "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}", cancellationToken);
            }

            return deleted;
        }
        catch (KubeApiException e) when (!e.IsNotFound)
        {
            await recorder.WarningAsync(owner, "FailedDelete", $"Error deleting: {e.Message}", cancellationToken);
            throw;
        }
    }
}
