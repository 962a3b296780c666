using k8s;
using k8s.Models;

namespace Strata.Controllers.Client;

public static class KubeClientExtensions
{
    private const int ConflictRetries = 5;

    /// <summary>
    /// Reads the object afresh, lets <paramref name="change"/> edit it and writes it back, again on a conflict
    /// (client-go's retry.RetryOnConflict around a Get and an Update). Returns the object as stored, the unchanged live
    /// object when <paramref name="change"/> returns false, or null when it is gone or another object (not
    /// <paramref name="uid"/>) has taken its name.
    /// </summary>
    public static Task<T?> UpdateLiveAsync<T>(this IKubeClient client, string? ns, string name, string uid, Func<T, bool> change, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        client.WriteLiveAsync(ns, name, uid, change, client.UpdateAsync, cancellationToken);

    /// <summary>As <see cref="UpdateLiveAsync"/>, writing through the status subresource.</summary>
    public static Task<T?> UpdateLiveStatusAsync<T>(this IKubeClient client, string? ns, string name, string uid, Func<T, bool> change, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        client.WriteLiveAsync(ns, name, uid, change, client.UpdateStatusAsync, cancellationToken);

    private static async Task<T?> WriteLiveAsync<T>(this IKubeClient client, string? ns, string name, string uid, Func<T, bool> change,
        Func<T, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        for (var attempt = 0; ; attempt++)
        {
            var live = await client.GetAsync<T>(ns, name, cancellationToken);
            if (live is null || live.Metadata.Uid != uid)
            {
                return null;
            }

            if (!change(live))
            {
                return live;
            }

            try
            {
                return await write(live, cancellationToken);
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < ConflictRetries)
            {
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                return null;
            }
        }
    }
}
