using k8s;
using k8s.Models;
using Strata.Controllers.Machinery;

namespace Strata.Ingress.Controller;

/// <summary>
/// The controllers' one sync loop: once the informers have listed, every burst of changes (a rollout moves many
/// endpoints) is coalesced into one rebuild; a failed sync is reported and retried a second later.
/// </summary>
internal sealed class CoalescedSync(Func<CancellationToken, Task> sync, Action<Exception> failed) : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0);
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Calls for a sync on the informer's every add, update and delete.</summary>
    public Informer<T> Watch<T>(Informer<T> informer) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        informer.AddHandler(_ => Poke(), (_, _) => Poke(), _ => Poke());
        return informer;
    }

    public Task WaitForFirstSyncAsync(CancellationToken cancellationToken) => _firstSync.Task.WaitAsync(cancellationToken);

    public void Poke()
    {
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }

    public async Task RunAsync(IEnumerable<IInformer> informers, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(informers.Select(i => i.WaitForSyncAsync(cancellationToken)));
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(cancellationToken);
                }

                try
                {
                    await sync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // What was already applied stays in service; a failed write is retried with the next sync.
                    failed(e);
                    Poke();
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }

                _firstSync.TrySetResult();
                await _changed.WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _changed.Dispose();
}
