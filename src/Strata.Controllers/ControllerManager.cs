using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers;

/// <summary>kube-controller-manager's settings that Strata's controllers read (its flag names in the comments).</summary>
public sealed record ControllerManagerOptions
{
    /// <summary>--cluster-cidr: the pod network node podCIDRs are cut from.</summary>
    public string ClusterCidr { get; init; } = NodeIpam.NodeCidrAllocator.DefaultClusterCidr;

    /// <summary>--node-cidr-mask-size.</summary>
    public int NodeCidrMaskSize { get; init; } = NodeIpam.NodeCidrAllocator.DefaultNodeMaskSize;

    /// <summary>--controllers: names to run, "*" for all, "-name" to leave one out.</summary>
    public IReadOnlyList<string> Controllers { get; init; } = ["*"];

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>--root-ca-file: the cluster CA (PEM) the root-ca-cert-publisher puts in every namespace; without it that controller does not start.</summary>
    public string? RootCaPem { get; init; }

    /// <summary>
    /// --load-balancer-pool: the addresses the service-lb-ipam controller gives LoadBalancer Services (CIDRs and
    /// first-last ranges, comma-separated, as MetalLB's IPAddressPool); without it that controller does not start.
    /// </summary>
    public string? LoadBalancerPool { get; init; }

    /// <summary>Refuses bad settings before anything starts, naming the flag.</summary>
    public void Validate()
    {
        try
        {
            _ = ControllerManager.Enabled(Controllers);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--controllers: {e.Message}", e);
        }

        try
        {
            _ = new NodeIpam.NodeCidrAllocator(ClusterCidr, NodeCidrMaskSize);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NodeIpam.AllocationException)
        {
            // An ArgumentException's Message ends with " (Parameter 'x')" and the actual value: keep the sentence only.
            var why = e is ArgumentException { ParamName: { } name } ? e.Message.Split($" (Parameter '{name}')")[0] : e.Message;
            throw new ArgumentException($"--cluster-cidr {ClusterCidr} --node-cidr-mask-size {NodeCidrMaskSize}: {why}", e);
        }

        if (!string.IsNullOrEmpty(LoadBalancerPool))
        {
            try
            {
                _ = LoadBalancer.AddressPool.Parse(LoadBalancerPool);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"--load-balancer-pool: {e.Message}", e);
            }
        }
    }
}

/// <summary>
/// Runs the control loops against one <see cref="IKubeClient"/> with shared informers, as kube-controller-manager
/// (and kube-scheduler) do. <c>strata apiserver</c> hosts it in-process; <c>strata controller-manager</c> runs it
/// against any API server.
/// </summary>
public sealed class ControllerManager : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _running = [];

    private ControllerManager(InformerFactory informers, IReadOnlyList<Controller> controllers)
    {
        Informers = informers;
        Controllers = controllers;
    }

    public InformerFactory Informers { get; }

    public IReadOnlyList<Controller> Controllers { get; }

    /// <summary>Every controller, by the name kube-controller-manager's --controllers uses.</summary>
    public static IReadOnlyList<string> KnownControllers => [.. Factories.Keys];

    private static readonly Dictionary<string, Func<ControllerContext, Controller?>> Factories = new()
    {
        ["daemonset"] = c => new Workloads.DaemonSetController(c),
        ["deployment"] = c => new Workloads.DeploymentController(c),
        ["endpoints"] = c => new Endpoints.EndpointsController(c),
        ["endpointslice"] = c => new Endpoints.EndpointSliceController(c),
        ["garbagecollector"] = c => new GarbageCollection.GarbageCollector(c),
        ["namespace"] = c => new Namespaces.NamespaceController(c),
        ["nodeipam"] = c => new NodeIpam.NodeIpamController(c),
        ["replicaset"] = c => new Workloads.ReplicaSetController(c),
        ["root-ca-cert-publisher"] = c => c.Options.RootCaPem is { } ca ? new ServiceAccounts.RootCaPublisher(c, ca) : null,
        ["scheduler"] = c => new Scheduling.SchedulerController(c),
        ["serviceaccount"] = c => new ServiceAccounts.ServiceAccountsController(c),
        [LoadBalancer.LoadBalancerIpamController.ControllerName] = c => string.IsNullOrEmpty(c.Options.LoadBalancerPool)
            ? null
            : new LoadBalancer.LoadBalancerIpamController(c, LoadBalancer.AddressPool.Parse(c.Options.LoadBalancerPool)),
    };

    public static ControllerManager Start(IKubeClient client, ControllerManagerOptions options, ILoggerFactory? loggers = null)
    {
        options.Validate();
        loggers ??= NullLoggerFactory.Instance;
        var informers = new InformerFactory(client, loggers);
        var context = new ControllerContext(client, informers, options, loggers);
        var controllers = Enabled(options.Controllers).Select(name => Factories[name](context)).OfType<Controller>().ToList();
        var manager = new ControllerManager(informers, controllers);
        foreach (var informer in informers.All)
        {
            manager._running.Add(Task.Run(() => informer.RunAsync(manager._stopping.Token)));
        }

        foreach (var controller in controllers)
        {
            manager._running.Add(Task.Run(() => controller.RunAsync(manager._stopping.Token)));
        }

        return manager;
    }

    /// <summary>Completes when every informer has synced (after which the controllers start working).</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(Informers.All.Select(i => i.WaitForSyncAsync(cancellationToken)));

    /// <summary>The controllers that --controllers selects; an unknown name throws <see cref="ArgumentException"/>.</summary>
    public static IReadOnlyList<string> Enabled(IReadOnlyList<string> requested)
    {
        foreach (var name in requested)
        {
            var bare = name.TrimStart('-');
            if (bare != "*" && !Factories.ContainsKey(bare))
            {
                throw new ArgumentException($"\"{bare}\" is not a known controller: known controllers are {string.Join(", ", Factories.Keys)}");
            }
        }

        var all = requested.Contains("*");
        return [.. Factories.Keys.Where(n => !requested.Contains("-" + n) && (all || requested.Contains(n)))];
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }
}

/// <summary>What a controller is built from.</summary>
public sealed record ControllerContext(IKubeClient Client, InformerFactory Informers, ControllerManagerOptions Options, ILoggerFactory Loggers)
{
    public ILogger Logger(string controller) => Loggers.CreateLogger($"Strata.Controllers.{controller}");

    public EventRecorder Recorder(string component) => new(Client, component, Logger(component), Options.Time);
}
