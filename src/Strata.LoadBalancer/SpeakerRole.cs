using System.Net;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;
using Strata.Netlink;

namespace Strata.LoadBalancer;

/// <summary>What the lb-speaker role needs: the node it runs on and the address that names its underlay interface.</summary>
public sealed record SpeakerSettings(string NodeName, IPAddress NodeIp)
{
    /// <summary>How long a burst of changes is gathered before one sync.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a failed sync waits before it is tried again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The agent's lb-speaker role: MetalLB's speaker in layer 2 mode, as a DaemonSet on the host network of every node.
/// Informers on Services, EndpointSlices and Nodes feed <see cref="AnnouncementPlanner"/>; whenever they change, the
/// node's announcements are brought to the plan through <see cref="ProxyArpAnnouncer"/>, and a Service this node
/// starts announcing gets MetalLB's Event <c>nodeAssigned</c>. When the role stops, it withdraws everything, so
/// another node's speaker can take over.
/// </summary>
public sealed class SpeakerRole(IKubeClient client, SpeakerSettings settings, ILoggerFactory loggers, string? netnsPath = null)
{
    public const string Component = "lb-speaker";
    public const string NodeAssigned = "nodeAssigned";

    // At most one pending sync: a change while one is due is covered by it.
    private readonly System.Threading.Channels.Channel<bool> _changed = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after the first successful sync.</summary>
    public Task FirstSync => _firstSync.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Strata.LoadBalancer.Speaker");
        using var ns = netnsPath is null ? NetworkNamespace.OpenCurrent() : NetworkNamespace.Open(netnsPath);
        var underlay = ProxyArpAnnouncer.InterfaceOf(ns, settings.NodeIp);
        using var announcer = new ProxyArpAnnouncer(ns, underlay);
        var recorder = new EventRecorder(client, Component, logger);
        var services = new Informer<V1Service>(client, null, loggers.CreateLogger("Strata.LoadBalancer.Informer.Service"));
        var slices = new Informer<V1EndpointSlice>(client, null, loggers.CreateLogger("Strata.LoadBalancer.Informer.EndpointSlice"));
        var nodes = new Informer<V1Node>(client, null, loggers.CreateLogger("Strata.LoadBalancer.Informer.Node"));
        services.AddHandler(_ => Signal(), (_, _) => Signal(), _ => Signal());
        slices.AddHandler(_ => Signal(), (_, _) => Signal(), _ => Signal());
        nodes.AddHandler(_ => Signal(), (_, _) => Signal(), _ => Signal());

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watches = new[]
        {
            Task.Run(() => services.RunAsync(stop.Token), stop.Token),
            Task.Run(() => slices.RunAsync(stop.Token), stop.Token),
            Task.Run(() => nodes.RunAsync(stop.Token), stop.Token),
        };
        SpeakerLog.Started(logger, settings.NodeName, underlay);
        var announced = new Dictionary<string, HashSet<IPAddress>>(StringComparer.Ordinal);
        try
        {
            await Task.WhenAll(services.WaitForSyncAsync(cancellationToken), slices.WaitForSyncAsync(cancellationToken), nodes.WaitForSyncAsync(cancellationToken));
            Signal();
            while (true)
            {
                await _changed.Reader.ReadAsync(cancellationToken);
                await Task.Delay(settings.Settle, cancellationToken);
                var plan = AnnouncementPlanner.Plan(settings.NodeName, services.List(), slices.List(), nodes.List());
                try
                {
                    foreach (var added in announcer.Sync([.. plan.Select(a => a.Address)]))
                    {
                        SpeakerLog.Announcing(logger, added, underlay);
                    }
                }
                catch (Exception e) when (e is NetlinkException or InvalidOperationException or IOException)
                {
                    SpeakerLog.SyncFailed(logger, e.Message);
                    _ = RetryLaterAsync(cancellationToken);
                    continue;
                }

                _firstSync.TrySetResult();
                var now = plan.GroupBy(a => a.Service).ToDictionary(g => g.Key, g => g.Select(a => a.Address).ToHashSet(), StringComparer.Ordinal);
                foreach (var (key, addresses) in now)
                {
                    if ((!announced.TryGetValue(key, out var before) || !before.SetEquals(addresses)) && services.Get(key) is { } service)
                    {
                        await recorder.NormalAsync(service, NodeAssigned, $"announcing from node \"{settings.NodeName}\" with protocol \"layer2\"", cancellationToken);
                    }
                }

                announced = now;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(watches).ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                announcer.WithdrawAll();
                SpeakerLog.Withdrawn(logger, settings.NodeName);
            }
            catch (Exception e) when (e is NetlinkException or IOException)
            {
                SpeakerLog.SyncFailed(logger, e.Message);
            }
        }
    }

    private void Signal() => _changed.Writer.TryWrite(true);

    private async Task RetryLaterAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(settings.RetryDelay, cancellationToken);
            Signal();
        }
        catch (OperationCanceledException)
        {
        }
    }
}

internal static partial class SpeakerLog
{
    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "lb-speaker on node {Node} answers ARP on {Interface}")]
    public static partial void Started(ILogger logger, string node, string @interface);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "announcing {Address} on {Interface}")]
    public static partial void Announcing(ILogger logger, IPAddress address, string @interface);

    [LoggerMessage(EventId = 802, Level = LogLevel.Warning, Message = "syncing the announcements failed, will retry: {Reason}")]
    public static partial void SyncFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 803, Level = LogLevel.Information, Message = "lb-speaker on node {Node} stopped and withdrew its announcements")]
    public static partial void Withdrawn(ILogger logger, string node);
}
