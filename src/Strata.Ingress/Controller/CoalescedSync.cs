using k8s;
using k8s.Models;
using Strata.Controllers.Machinery;

namespace Strata.Ingress.Controller;

/// <summary>
/// The controllers' informers and their one sync loop: once the informers have listed, every burst of changes (a
/// rollout moves many endpoints) is coalesced into one rebuild; a failed sync is reported and retried a second later.
/// </summary>
internal sealed class CoalescedSync(Func<CancellationToken, Task> sync, Action<Exception> failed) : IAsyncDisposable
{
    private readonly SemaphoreSlim _changed = new(0);
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

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

    /// <summary>Runs the informers, and the loop once they have all listed.</summary>
    public void Start(IReadOnlyList<IInformer> informers)
    {
        var token = _stop.Token;
        foreach (var informer in informers)
        {
            _tasks.Add(Task.Run(() => informer.RunAsync(token), token));
        }

        _tasks.Add(Task.Run(() => RunAsync(informers, token), token));
    }

    private async Task RunAsync(IReadOnlyList<IInformer> informers, CancellationToken cancellationToken)
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

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_tasks);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _changed.Dispose();
    }
}
