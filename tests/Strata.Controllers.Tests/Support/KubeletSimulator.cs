using k8s;
using k8s.Models;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Controllers.Workloads;

namespace Strata.Controllers.Tests.Support;

/// <summary>
/// Test support standing in for the kubelets (issue #7 builds the real one): every pod bound to a node is reported
/// Running and Ready with the next IP of that node's podCIDR, and a pod being deleted is removed once it is marked.
/// It writes only pod status, the way a kubelet does, so the controllers under test see what they would see in a
/// cluster. Started with node names (<see cref="StartAsync"/>), it also stands in for the scheduler: pending pods are
/// bound to the node their affinity pins them to, or else to those nodes in turn.
/// </summary>
public sealed class KubeletSimulator : IAsyncDisposable
{
    private readonly IKubeClient _client;
    private readonly IReadOnlyList<string> _bindTo;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Node> _nodes;
    private readonly Controller _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly HashSet<string> _unready = [];
    private readonly Dictionary<string, int> _nextHost = [];
    private int _nextNode;

    public KubeletSimulator(IKubeClient client)
        : this(client, [])
    {
    }

    private KubeletSimulator(IKubeClient client, IReadOnlyList<string> bindTo)
    {
        _client = client;
        _bindTo = bindTo;
        _pods = new Informer<V1Pod>(client);
        _nodes = new Informer<V1Node>(client);
        _loop = new Loop(this);
        _pods.AddHandler(p => _loop.Enqueue(ObjectKey.Of(p)), (_, p) => _loop.Enqueue(ObjectKey.Of(p)));
        _running = Task.WhenAll(_pods.RunAsync(_stop.Token), _nodes.RunAsync(_stop.Token), _loop.RunAsync(_stop.Token));
    }

    /// <summary>A simulator that binds pending pods too (to <paramref name="nodes"/>, "sim-node" if none), once it has synced.</summary>
    public static async Task<KubeletSimulator> StartAsync(IKubeClient client, params string[] nodes)
    {
        var simulator = new KubeletSimulator(client, nodes.Length == 0 ? ["sim-node"] : nodes);
        await simulator._pods.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return simulator;
    }

    /// <summary>Pods this accepts are reported Running but not Ready (a failing readiness probe).</summary>
    public Func<V1Pod, bool> HoldReady { get; set; } = _ => false;

    /// <summary>Reports the pod ready or not, as a passing or failing readiness probe would.</summary>
    public void SetReady(string ns, string name, bool ready)
    {
        lock (_unready)
        {
            if (ready)
            {
                _unready.Remove(name);
            }
            else
            {
                _unready.Add(name);
            }
        }

        _loop.Enqueue(ObjectKey.For(ns, name));
    }

    /// <summary>Looks at every pod again (after <see cref="HoldReady"/> changed).</summary>
    public void Poke()
    {
        foreach (var pod in _pods.List())
        {
            _loop.Enqueue(ObjectKey.Of(pod));
        }
    }

    private async Task SyncAsync(string key, CancellationToken ct)
    {
        var cached = _pods.Get(key);
        if (cached is null)
        {
            return;
        }

        // The status is edited below, and the informer's copy must stay what the server has: a write that fails (the API
        // server killed mid-request) would otherwise leave the cache claiming a status the server never stored, and no
        // retry or re-list (same resourceVersion) would ever write it.
        var pod = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(cached));
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, new DeleteRequest(GracePeriodSeconds: 0, PreconditionUid: pod.Metadata.Uid), ct);
            return;
        }

        if (string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            if (_bindTo.Count > 0)
            {
                var node = DaemonPlacement.TargetNode(pod) ?? _bindTo[Interlocked.Increment(ref _nextNode) % _bindTo.Count];
                await _client.BindAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, node, ct);
            }

            return;
        }

        bool ready;
        lock (_unready)
        {
            ready = !_unready.Contains(pod.Metadata.Name) && !HoldReady(pod);
        }

        var status = pod.Status ?? new V1PodStatus();
        var currentReady = status.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == "True";
        if (status.Phase == "Running" && status.PodIP is not null && currentReady == ready)
        {
            return;
        }

        var podIp = status.PodIP ?? NextIp(pod.Spec.NodeName);
        var now = DateTime.UtcNow;
        status.Phase = "Running";
        status.PodIP = podIp;
        status.PodIPs = [new V1PodIP { Ip = podIp }];
        status.HostIP = _nodes.Get(pod.Spec.NodeName)?.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address;
        status.StartTime ??= now;
        var truth = ready ? "True" : "False";
        status.Conditions = [.. (status.Conditions ?? []).Where(c => c.Type is not ("Ready" or "ContainersReady" or "Initialized")),
            new V1PodCondition { Type = "Initialized", Status = "True", LastTransitionTime = now },
            new V1PodCondition { Type = "ContainersReady", Status = truth, LastTransitionTime = now },
            new V1PodCondition { Type = "Ready", Status = truth, LastTransitionTime = now }];
        status.ContainerStatuses = [.. pod.Spec.Containers.Select(c => new V1ContainerStatus
        {
            Name = c.Name, Image = c.Image, ImageID = "", Ready = ready, Started = true, RestartCount = 0,
            State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = now } },
        })];
        pod.Status = status;
        await _client.UpdateStatusAsync(pod, ct);
    }

    /// <summary>The next address of the node's podCIDR; without one, a /24 from the node's place among the nodes.</summary>
    private string NextIp(string nodeName)
    {
        var cidr = _nodes.Get(nodeName)?.Spec?.PodCIDR;
        lock (_nextHost)
        {
            var host = _nextHost.GetValueOrDefault(nodeName, 2);
            _nextHost[nodeName] = host + 1;
            if (cidr is not null)
            {
                return $"{cidr[..cidr.LastIndexOf('.')]}.{host}";
            }

            var names = _nodes.List().Select(n => n.Metadata.Name).Append(nodeName).Concat(_bindTo).Distinct().Order(StringComparer.Ordinal).ToList();
            return $"10.233.{64 + names.IndexOf(nodeName)}.{host}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    // Retries at least every second, so that pods bound just before an API server restart are not left in a long backoff.
    private sealed class Loop(KubeletSimulator kubelet)
        : Controller("kubelet-simulator", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, maxRetryDelay: TimeSpan.FromSeconds(1))
    {
        protected override IEnumerable<IInformer> Informers => [kubelet._pods, kubelet._nodes];

        protected override Task ReconcileAsync(string key, CancellationToken cancellationToken) => kubelet.SyncAsync(key, cancellationToken);
    }
}
