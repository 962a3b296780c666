using System.Threading.Channels;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Controllers.Workloads;

namespace Strata.Controllers.Tests.Workloads;

/// <summary>
/// Test support standing in for kube-scheduler and the kubelet: binds each pending pod (to the node its affinity
/// pins it to, or else to one of <see cref="Nodes"/> in turn), then reports it Running and Ready with an IP, and
/// finishes graceful deletions. Pods whose name <see cref="HoldReady"/> accepts are bound and Running but not Ready.
/// </summary>
public sealed class PodSimulator : IAsyncDisposable
{
    private readonly IKubeClient _client;
    private readonly Informer<V1Pod> _pods;
    private readonly Channel<string> _work = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _informer;
    private readonly Task _loop;
    private int _next;
    private int _ip = 10;

    private PodSimulator(IKubeClient client, IReadOnlyList<string> nodes)
    {
        _client = client;
        Nodes = nodes;
        _pods = new Informer<V1Pod>(client);
        _pods.AddHandler(p => Queue(p), (_, p) => Queue(p));
        _informer = _pods.RunAsync(_stop.Token);
        _loop = Task.Run(LoopAsync);
    }

    public IReadOnlyList<string> Nodes { get; }

    public Func<V1Pod, bool> HoldReady { get; set; } = _ => false;

    public static async Task<PodSimulator> StartAsync(IKubeClient client, params string[] nodes)
    {
        var simulator = new PodSimulator(client, nodes.Length == 0 ? ["sim-node"] : nodes);
        await simulator._pods.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return simulator;
    }

    private void Queue(V1Pod pod) => _work.Writer.TryWrite(ObjectKey.Of(pod));

    /// <summary>Looks at every pod again (after <see cref="HoldReady"/> changed).</summary>
    public void Poke()
    {
        foreach (var pod in _pods.List())
        {
            Queue(pod);
        }
    }

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var key in _work.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    await HandleAsync(key);
                }
                catch (KubeApiException)
                {
                    // Raced with another writer; the next event brings the pod back.
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Console.Error.WriteLine($"pod simulator: {key}: {e}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(string key)
    {
        var (ns, name) = ObjectKey.Split(key);
        var pod = await _client.GetAsync<V1Pod>(ns, name, _stop.Token);
        if (pod is null)
        {
            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            await _client.DeleteAsync<V1Pod>(ns, name, new DeleteRequest(GracePeriodSeconds: 0), _stop.Token);
            return;
        }

        if (string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            var node = DaemonPlacement.TargetNode(pod) ?? Nodes[Interlocked.Increment(ref _next) % Nodes.Count];
            await _client.BindAsync(ns!, name, node, _stop.Token);
            Queue(pod);
            return;
        }

        var ready = !HoldReady(pod);
        if (pod.Status?.Phase == "Running" && PodConditions.IsReady(pod) == ready)
        {
            return;
        }

        var now = DateTime.UtcNow;
        pod.Status ??= new V1PodStatus();
        pod.Status.Phase = "Running";
        pod.Status.PodIP ??= $"10.244.0.{Interlocked.Increment(ref _ip) % 250}";
        pod.Status.PodIPs = [new V1PodIP { Ip = pod.Status.PodIP }];
        pod.Status.StartTime ??= now;
        var conditions = (pod.Status.Conditions ?? []).Where(c => c.Type is not ("Ready" or "ContainersReady" or "Initialized")).ToList();
        conditions.Add(new V1PodCondition { Type = "Initialized", Status = "True", LastTransitionTime = now });
        conditions.Add(new V1PodCondition { Type = "ContainersReady", Status = ready ? "True" : "False", LastTransitionTime = now });
        conditions.Add(new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = now });
        pod.Status.Conditions = conditions;
        await _client.UpdateStatusAsync(pod, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _work.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_informer, _loop);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
