using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;

namespace Strata.Controllers.Workloads;

/// <summary>
/// ControllerRefManager.ClaimObject (pkg/controller/controller_ref_manager.go): of the candidates, keeps the ones
/// the owner controls and its selector still matches, releases the ones it controls that no longer match, and adopts
/// orphans that match — unless the owner or the orphan is being deleted.
/// </summary>
public sealed class Claims<T>(IKubeClient client, ILogger logger) where T : class, IKubernetesObject<V1ObjectMeta>
{
    public async Task<List<T>> ClaimAsync(IKubernetesObject<V1ObjectMeta> owner, V1OwnerReference controllerRef, Func<T, bool> matches,
        IEnumerable<T> candidates, CancellationToken cancellationToken)
    {
        var claimed = new List<T>();
        var ownerDeleting = owner.Metadata.DeletionTimestamp is not null;
        foreach (var candidate in candidates)
        {
            var controller = Ownership.ControllerOf(candidate.Metadata);
            if (controller is not null)
            {
                if (controller.Uid != owner.Metadata.Uid)
                {
                    continue;
                }

                if (matches(candidate))
                {
                    claimed.Add(candidate);
                }
                else if (!ownerDeleting)
                {
                    await UpdateOwnersAsync(candidate, refs => refs.RemoveAll(r => r.Uid == owner.Metadata.Uid) > 0, cancellationToken);
                    WorkloadsLog.Released(logger, owner.Kind, owner.Metadata.Name, candidate.Metadata.Name);
                }

                continue;
            }

            if (ownerDeleting || candidate.Metadata.DeletionTimestamp is not null || !matches(candidate))
            {
                continue;
            }

            var adopted = await UpdateOwnersAsync(candidate, refs =>
            {
                if (refs.Any(r => r.Controller == true))
                {
                    return false;
                }

                refs.Add(controllerRef);
                return true;
            }, cancellationToken);
            if (adopted is not null && Ownership.IsControlledBy(adopted.Metadata, owner.Metadata.Uid))
            {
                WorkloadsLog.Adopted(logger, owner.Kind, owner.Metadata.Name, candidate.Metadata.Name);
                claimed.Add(adopted);
            }
        }

        return claimed;
    }

    /// <summary>Rewrites the live object's owner references (retrying on conflict); null if it is gone.</summary>
    private Task<T?> UpdateOwnersAsync(T obj, Func<List<V1OwnerReference>, bool> change, CancellationToken cancellationToken) =>
        client.UpdateLiveAsync<T>(obj.Metadata.NamespaceProperty, obj.Metadata.Name, obj.Metadata.Uid, live =>
        {
            var refs = new List<V1OwnerReference>(live.Metadata.OwnerReferences ?? []);
            if (!change(refs))
            {
                return false;
            }

            live.Metadata.OwnerReferences = refs;
            return true;
        }, cancellationToken);
}
