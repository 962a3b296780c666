using System.Collections.Concurrent;
using System.Security.Cryptography;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Strata.Agent.Images;
using Strata.Agent.Kubelet.Probes;
using Strata.Agent.Runtime;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Agent.Kubelet.Pods;

/// <summary>
/// The kubelet's pod workers as one control loop (pkg/kubelet/pod_workers.go + kuberuntime_manager.go SyncPod):
/// an informer over the pods bound to this node feeds pod keys; each reconcile compares the pod with what the
/// runtime holds and takes the next steps (sandbox, containers, restarts with back-off, probe kills, graceful
/// termination, teardown), then writes the status when it changed. Process exits and probe results queue the pod
/// again; back-off and grace periods queue it after their delay. Nothing here blocks on a container.
/// </summary>
public sealed class PodSyncLoop : Controller
{
    private const int SIGKILL = 9;
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(2);

    private readonly IKubeClient _client;
    private readonly KubeletConfig _config;
    private readonly SandboxManager _sandboxes;
    private readonly Informer<V1Pod> _pods;
    private readonly Informer<V1Service> _services;
    private readonly EventRecorder _events;
    private readonly ProbeRunner _prober;
    private readonly ConcurrentDictionary<string, RuntimePod> _running = new();
    private volatile bool _stopped;

    public PodSyncLoop(IKubeClient client, KubeletConfig config, SandboxManager sandboxes, ILogger logger)
        : base("kubelet", logger, workers: 4, maxRetryDelay: config.SandboxMaxBackOff)
    {
        _client = client;
        _config = config;
        _sandboxes = sandboxes;
        _pods = new Informer<V1Pod>(client, new ListRequest(FieldSelector: $"spec.nodeName={config.NodeName}"), logger);
        _pods.AddHandler(p => Enqueue(ObjectKey.Of(p)), (_, p) => Enqueue(ObjectKey.Of(p)), p => Enqueue(ObjectKey.Of(p)));

        // For the containers' Service variables; as upstream, the loop starts once it has been read (Informers).
        _services = new Informer<V1Service>(client, ListRequest.All, logger);
        _events = new EventRecorder(client, "kubelet", logger);
        _prober = new ProbeRunner(new NodeSockets(config.NodeNetns));
    }

    /// <summary>The pods the runtime holds now, by namespace/name (for the container locator).</summary>
    public IReadOnlyDictionary<string, RuntimePod> Running => _running;

    protected override IEnumerable<IInformer> Informers => [_pods, _services];

    /// <summary>Runs the informer and the loop, after adopting what a previous agent left under the root dir.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Adopt();
        try
        {
            await Task.WhenAll(_pods.RunAsync(cancellationToken), _services.RunAsync(cancellationToken), RunAsync(cancellationToken));
        }
        finally
        {
            _stopped = true;
            foreach (var container in _running.Values.SelectMany(p => p.Containers.Values))
            {
                container.StopProbes();
            }
        }
    }

    /// <summary>Queues a pod again from a process exit or a probe; nothing once the loop has stopped.</summary>
    private void Poke(string key)
    {
        if (!_stopped)
        {
            try
            {
                Enqueue(key);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    protected override IEnumerable<string> InitialKeys() => _pods.List().Select(ObjectKey.Of).Concat(_running.Keys).Distinct();

    /// <summary>Reads every checkpoint: its processes are adopted by pid and start time; the informer decides later whether the pod is still ours.</summary>
    private void Adopt()
    {
        foreach (var checkpoint in _sandboxes.Checkpoints())
        {
            // A checkpoint describes a sandbox that was made; a finished pod's released network stays released.
            var pod = new RuntimePod(checkpoint) { SandboxReady = true };
            int running = 0;
            foreach (var saved in checkpoint.Containers)
            {
                var container = pod.Container(saved.Name);
                if (saved.Pid > 0 && saved.FinalTermination is null && SpawnedProcess.Adopt(saved.Pid, saved.StartTime) is { } process)
                {
                    container.Process = process;
                    container.Exit = process.WaitForExitAsync(CancellationToken.None);
                    _ = container.Exit.ContinueWith(_ => Poke(pod.Key), TaskScheduler.Default);
                    running++;
                }
                else if (saved.Pid > 0 && saved.FinalTermination is null)
                {
                    // It ended while no agent watched: its exit code is unknown.
                    container.Exit = Task.FromResult<int?>(null);
                }
            }

            if (!_sandboxes.IsIntact(checkpoint))
            {
                // A reboot or a crash while it was being made: remove what is left; the pod, if still ours, starts afresh.
                KillNow(pod);
                TryTeardown(pod);
                continue;
            }

            if (_running.TryGetValue(pod.Key, out var other))
            {
                // Two sandboxes for one name: keep the newer, the older is an orphan to remove at once.
                var (keep, drop) = other.Checkpoint.CreatedAt >= checkpoint.CreatedAt ? (other, pod) : (pod, other);
                KillNow(drop);
                TryTeardown(drop);
                _running[pod.Key] = keep;
                continue;
            }

            _running[pod.Key] = pod;
            KubeletLog.Adopted(Logger, pod.Key, pod.Uid, running);
        }
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var pod = _pods.Get(key);
        _running.TryGetValue(key, out var runtime);

        // A pod gone from the API (or replaced by another of the same name): stop and remove what ran for it.
        if (runtime is not null && (pod is null || pod.Metadata.Uid != runtime.Uid))
        {
            if (!StopContainers(runtime, null, OrphanGrace, now, out var wake))
            {
                Queue.AddAfter(key, wake);
                return;
            }

            Teardown(runtime);
            _running.TryRemove(key, out _);
            runtime = null;
        }

        if (pod is null || pod.Spec.NodeName != _config.NodeName)
        {
            return;
        }

        if (pod.Metadata.DeletionTimestamp is not null)
        {
            await TerminateAsync(pod, runtime, now, cancellationToken);
            return;
        }

        if (runtime is null)
        {
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                return; // finished before this agent knew it: nothing runs, nothing restarts
            }

            runtime = new RuntimePod(SandboxManager.NewCheckpoint(pod, now)) { StartTime = now };
            _running[key] = runtime;
        }

        var wakeAt = new List<DateTime>();
        if (!runtime.SandboxReady)
        {
            if (!await EnsureSandboxAsync(pod, runtime, now, wakeAt, cancellationToken))
            {
                await WriteStatusAsync(pod, runtime, now, cancellationToken);
                ScheduleWake(key, wakeAt, now);
                return;
            }
        }

        // Init containers run one after another, each to success, before any app container starts.
        bool initialized = true;
        foreach (var spec in pod.Spec.InitContainers ?? [])
        {
            var init = runtime.Container(spec.Name);
            if (init.Checkpoint.FinalTermination is { ExitCode: 0 })
            {
                continue;
            }

            initialized = false;
            if (init.Checkpoint.FinalTermination is null)
            {
                await SyncContainerAsync(pod, runtime, spec, now, wakeAt, cancellationToken, isInit: true);
            }

            if (init.Checkpoint.FinalTermination is { ExitCode: 0 })
            {
                Poke(key); // the next one starts at once
            }

            break;
        }

        if (initialized)
        {
            foreach (var spec in pod.Spec.Containers)
            {
                await SyncContainerAsync(pod, runtime, spec, now, wakeAt, cancellationToken);
            }
        }

        if (Finished(pod, runtime) && !runtime.Checkpoint.NetworkReleased)
        {
            _sandboxes.ReleaseNetwork(runtime.Checkpoint, cancellationToken);
            KubeletLog.NetworkReleased(Logger, key);
        }

        await WriteStatusAsync(pod, runtime, now, cancellationToken);
        ScheduleWake(key, wakeAt, now);
    }

    // ---- sandbox ----

    private async Task<bool> EnsureSandboxAsync(V1Pod pod, RuntimePod runtime, DateTime now, List<DateTime> wakeAt, CancellationToken cancellationToken)
    {
        if (runtime.NextSandboxAttempt is { } next && now < next)
        {
            wakeAt.Add(next);
            return false;
        }

        string key = runtime.Key;
        if (pod.Spec.HostNetwork != true && _sandboxes.Network.Current(out var problem) is null)
        {
            if (!runtime.NetworkNotReadyReported)
            {
                runtime.NetworkNotReadyReported = true;
                await _events.WarningAsync(pod, KubeletEvents.NetworkNotReady, KubeletEvents.NetworkNotReadyMessage(Node.NodeStatusBuilder.NetworkNotReadyMessage), cancellationToken);
                KubeletLog.SandboxFailed(Logger, key, problem ?? "no network");
            }

            wakeAt.Add(now + _config.NetworkPollInterval);
            return false;
        }

        try
        {
            var dns = ResolvConf.ForPod(pod, ResolvConf.Parse(Node.NodeFacts.ReadOr(_config.NodeResolvConf, string.Empty)), _config.ClusterDns, _config.ClusterDomain);
            string hostname = pod.Spec.HostNetwork == true ? System.Net.Dns.GetHostName() : HostsFile.Hostname(pod);
            string nodeHosts = Node.NodeFacts.ReadOr(_config.NodeHostsFile, string.Empty);
            await ProjectedVolumes.PrepareAsync(pod, _sandboxes.Paths, new ApiProjectedSources(_client), cancellationToken);
            var timings = await Task.Run(() => _sandboxes.Create(runtime.Checkpoint, pod, _config.NodeIp,
                ips => new PodEtcFiles(ResolvConf.Render(dns), HostsFile.ForPod(pod, ips, nodeHosts, _config.ClusterDomain), hostname), cancellationToken), CancellationToken.None);
            runtime.SandboxReady = true;
            runtime.NextSandboxAttempt = null;
            runtime.SandboxBackOff = TimeSpan.Zero;
            KubeletLog.SandboxReady(Logger, key, runtime.Checkpoint.SandboxId, runtime.Checkpoint.PodIps, (long)timings.Network.TotalMilliseconds, (long)timings.Namespaces.TotalMilliseconds);
            return true;
        }
        catch (Exception e) when (e is PodNetworkException or SandboxException or VolumeMountException)
        {
            string message = e switch
            {
                PodNetworkException => KubeletEvents.SandboxNetworkFailure(runtime.Checkpoint.SandboxId, e.Message),
                VolumeMountException => e.Message,
                _ => KubeletEvents.SandboxFailure(e.Message),
            };
            KubeletLog.SandboxFailed(Logger, key, message);
            await _events.WarningAsync(pod, e is VolumeMountException ? KubeletEvents.FailedMount : KubeletEvents.FailedCreatePodSandBox, message, cancellationToken);
            runtime.SandboxBackOff = runtime.SandboxBackOff == TimeSpan.Zero
                ? TimeSpan.FromSeconds(1)
                : TimeSpan.FromTicks(Math.Min(runtime.SandboxBackOff.Ticks * 2, _config.SandboxMaxBackOff.Ticks));
            runtime.NextSandboxAttempt = now + runtime.SandboxBackOff;

            // Each attempt is a new sandbox (as containerd's RunPodSandbox): the failed one left nothing behind.
            runtime.Checkpoint = SandboxManager.NewCheckpoint(pod, now);
            wakeAt.Add(runtime.NextSandboxAttempt.Value);
            return false;
        }
    }

    // ---- containers ----

    private async Task SyncContainerAsync(V1Pod pod, RuntimePod runtime, V1Container spec, DateTime now, List<DateTime> wakeAt, CancellationToken cancellationToken, bool isInit = false)
    {
        runtime.Container(spec.Name).IsInit = isInit;
        var container = runtime.Container(spec.Name);
        if (container.Exit is { IsCompleted: true } exit && container.Checkpoint.Id is not null && container.Checkpoint.FinalTermination is null
            && (container.Process is null || container.Process.HasExited))
        {
            await RecordExitAsync(pod, runtime, container, exit.Result, now, cancellationToken);
        }

        if (container.Running)
        {
            var liveness = container.Probe(ProbeKind.Liveness);
            var startup = container.Probe(ProbeKind.Startup);
            string? failedProbe = liveness is { Result: false } ? "liveness" : startup is { Failed: true } ? "startup" : null;
            if (container.KillDeadline is null && failedProbe is not null)
            {
                await _events.NormalAsync(pod, KubeletEvents.Killing, KubeletEvents.ProbeKill(spec.Name, failedProbe), cancellationToken);
                container.StopProbes();
                Signal(runtime, container, container.Checkpoint.StopSignal);
                container.KillDeadline = now + Grace(pod);
            }

            if (container.KillDeadline is { } deadline)
            {
                if (now >= deadline)
                {
                    Signal(runtime, container, SIGKILL);
                }
                else
                {
                    wakeAt.Add(deadline);
                }
            }

            return;
        }

        if (container.Checkpoint.FinalTermination is not null || container.Process is not null)
        {
            return;
        }

        if (container.NextStartAt is { } at && now < at)
        {
            wakeAt.Add(at);
            return;
        }

        await StartContainerAsync(pod, runtime, container, spec, now, wakeAt, cancellationToken);
    }

    private Task RecordExitAsync(V1Pod pod, RuntimePod runtime, RuntimeContainer container, int? code, DateTime now, CancellationToken cancellationToken)
    {
        var saved = container.Checkpoint;
        int exitCode = code ?? 255;
        KubeletLog.ContainerExited(Logger, runtime.Key, container.Name, exitCode);
        var termination = new TerminationRecord($"strata://{saved.Id}", exitCode, code is null ? "Unknown" : exitCode == 0 ? "Completed" : "Error", saved.StartedAt ?? now, now);
        return RecordTerminationAsync(pod, runtime, container, termination, now, cancellationToken);
    }

    /// <summary>The instance ended (or never started): restart it after its back-off, or keep it terminated, as the restart policy says.</summary>
    private async Task RecordTerminationAsync(V1Pod pod, RuntimePod runtime, RuntimeContainer container, TerminationRecord termination, DateTime now, CancellationToken cancellationToken)
    {
        var saved = container.Checkpoint;
        container.StopProbes();
        container.Process?.Dispose();
        container.Process = null;
        container.Exit = null;
        container.KillDeadline = null;

        string policy = pod.Spec.RestartPolicy ?? "Always";
        // An init container is done once it succeeds, and is retried after a failure unless the policy is Never.
        bool restart = pod.Metadata.DeletionTimestamp is null && (container.IsInit
            ? policy != "Never" && termination.ExitCode != 0
            : policy == "Always" || (policy == "OnFailure" && termination.ExitCode != 0));
        if (restart)
        {
            saved.LastTermination = termination;
            var delay = _config.BackOff.Next(container.BackOff, now - termination.StartedAt);
            container.BackOff = delay;
            container.NextStartAt = now + delay;
            if (delay > TimeSpan.Zero)
            {
                await _events.WarningAsync(pod, KubeletEvents.BackOff, KubeletEvents.BackOffRestarting(container.Name, pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Uid), cancellationToken);
            }
        }
        else
        {
            saved.FinalTermination = termination;
        }

        runtime.Checkpoint.Write(_sandboxes.Paths.PodDirectory(runtime.Uid));
    }

    private async Task StartContainerAsync(V1Pod pod, RuntimePod runtime, RuntimeContainer container, V1Container spec, DateTime now, List<DateTime> wakeAt, CancellationToken cancellationToken)
    {
        var saved = container.Checkpoint;
        string podDir = _sandboxes.Paths.VolumeDirectory(runtime.Uid);
        var facts = new PodRuntimeFacts(runtime.Checkpoint.PodIps.Count > 0 ? runtime.Checkpoint.PodIps[0] : null, runtime.Checkpoint.PodIps, _config.NodeIp, HostsFile.Hostname(pod));

        // command and args are expanded with the container's own variables (not the image's), before the image decides.
        var serviceEnvironment = ServiceEnvironment.ForPod(pod, _services.List());
        var specEnvironment = ContainerEnvironment.Build(pod, spec, facts, [], serviceEnvironment);
        var expanded = KubernetesJson.Deserialize<V1Container>(KubernetesJson.Serialize(spec));
        expanded.Command = spec.Command is null ? null : [.. ContainerEnvironment.Expand(spec.Command, specEnvironment)];
        expanded.Args = spec.Args is null ? null : [.. ContainerEnvironment.Expand(spec.Args, specEnvironment)];
        var resolution = ImageTable.Resolve(pod, expanded, ImageContext.ForNode(_config.StrataBinary, podDir, specEnvironment));
        if (resolution is NotRunnable unavailable)
        {
            if (container.Waiting?.Reason != unavailable.Reason)
            {
                KubeletLog.ContainerWaiting(Logger, runtime.Key, spec.Name, unavailable.Reason, unavailable.Message);
                await _events.WarningAsync(pod, unavailable.Reason, unavailable.Message, cancellationToken);
            }

            container.Waiting = (unavailable.Reason, unavailable.Message);
            return;
        }

        var image = (RunnableContainer)resolution;
        var environment = ContainerEnvironment.Build(pod, spec, facts, image.Environment, serviceEnvironment);
        foreach (var file in image.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
            File.WriteAllText(file.Path, file.Contents);
        }

        int restartCount = saved.Id is null ? 0 : saved.RestartCount + 1;
        string logPath = _sandboxes.Paths.ContainerLog(runtime.Checkpoint.PodNamespace, runtime.Checkpoint.PodName, runtime.Uid, spec.Name, restartCount);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var namespaces = _sandboxes.NamespacesOf(runtime.Checkpoint, _config.NodeNetns);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        SpawnedProcess? process = null;
        string? startError = image.StartError;
        if (startError is null)
        {
            try
            {
                using SafeFileHandle log = File.OpenHandle(logPath, FileMode.Append, FileAccess.Write);
                process = ProcessSpawner.Spawn(new SpawnRequest
                {
                    Path = image.Executable,
                    ArgumentZero = image.ArgumentZero,
                    Arguments = image.Arguments,
                    Environment = environment,
                    WorkingDirectory = string.IsNullOrEmpty(spec.WorkingDir) ? null : spec.WorkingDir,
                    Namespaces = namespaces,
                    StandardOutput = log,
                    StandardError = log,
                });
            }
            catch (Exception e) when (e is SpawnException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
            {
                startError = ContainerStartErrors.Wrap(e.Message);
            }
        }

        saved.PreviousLogPath = saved.LogPath;
        saved.LogPath = logPath;
        saved.Id = id;
        saved.RestartCount = restartCount;
        saved.StartedAt = PodStatusBuilder.Truncate(now);
        saved.ImageId = $"strata://image/{spec.Image}";
        saved.Environment = environment;
        saved.WorkingDirectory = string.IsNullOrEmpty(spec.WorkingDir) ? null : spec.WorkingDir;
        saved.StopSignal = image.StopSignal;
        container.Waiting = null;
        container.NextStartAt = null;
        if (process is null)
        {
            // As containerd and runc: the container was created and could not start; it counts as an instance that ended.
            KubeletLog.ContainerWaiting(Logger, runtime.Key, spec.Name, "StartError", startError!);
            File.AppendAllText(logPath, string.Empty);
            await _events.WarningAsync(pod, KubeletEvents.Failed, $"Error: {startError}", cancellationToken);
            saved.Pid = 0;
            var failure = new TerminationRecord($"strata://{id}", ContainerStartErrors.ExitCode, ContainerStartErrors.Reason, saved.StartedAt.Value, now, startError);
            await RecordTerminationAsync(pod, runtime, container, failure, now, cancellationToken);
            if (container.NextStartAt is { } next)
            {
                wakeAt.Add(next);
            }

            return;
        }

        saved.Pid = process.Pid;
        saved.StartTime = process.StartTime;
        container.Process = process;
        container.Exit = process.WaitForExitAsync(CancellationToken.None);
        string key = runtime.Key;
        _ = container.Exit.ContinueWith(_ => Poke(key), TaskScheduler.Default);
        runtime.Checkpoint.Write(_sandboxes.Paths.PodDirectory(runtime.Uid));
        KubeletLog.ContainerStarted(Logger, key, spec.Name, process.Pid, restartCount);
        await _events.NormalAsync(pod, KubeletEvents.Pulled, KubeletEvents.ImagePresent(spec.Image), cancellationToken);
        await _events.NormalAsync(pod, KubeletEvents.Created, KubeletEvents.CreatedContainer(spec.Name), cancellationToken);
        await _events.NormalAsync(pod, KubeletEvents.Started, KubeletEvents.StartedContainer(spec.Name), cancellationToken);
        StartProbes(pod, runtime, container, spec, namespaces);
    }

    private void StartProbes(V1Pod pod, RuntimePod runtime, RuntimeContainer container, V1Container spec, NamespacePaths namespaces)
    {
        string key = runtime.Key;
        var target = new ProbeTarget((runtime.Checkpoint.PodIps.Count > 0 ? runtime.Checkpoint.PodIps[0] : null) ?? _config.NodeIp, spec, namespaces,
            container.Checkpoint.Environment, container.Checkpoint.WorkingDirectory, _sandboxes.Paths.PodDirectory(runtime.Uid));
        void Failed(ProbeKind kind, ProbeOutcome outcome)
        {
            KubeletLog.ProbeFailed(Logger, key, kind, spec.Name, outcome.Output);
            _ = _events.WarningAsync(pod, KubeletEvents.Unhealthy, KubeletEvents.ProbeFailed(kind.ToString(), outcome.Output));
        }

        bool StartupPassed() => container.Probe(ProbeKind.Startup)?.Result ?? true;
        foreach (var (kind, probe) in new[] { (ProbeKind.Startup, spec.StartupProbe), (ProbeKind.Liveness, spec.LivenessProbe), (ProbeKind.Readiness, spec.ReadinessProbe) })
        {
            if (probe is not null)
            {
                container.Probes.Add(new ProbeWorker(kind, probe, target, _prober, kind == ProbeKind.Startup ? () => true : StartupPassed, Failed, () => Poke(key)));
            }
        }
    }

    // ---- termination ----

    private async Task TerminateAsync(V1Pod pod, RuntimePod? runtime, DateTime now, CancellationToken cancellationToken)
    {
        string key = ObjectKey.Of(pod);
        if (runtime is not null)
        {
            var grace = TimeSpan.FromSeconds(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30);
            if (!StopContainers(runtime, pod, grace, now, out var wake))
            {
                await WriteStatusAsync(pod, runtime, now, cancellationToken);
                Queue.AddAfter(key, wake);
                return;
            }

            foreach (var container in runtime.Containers.Values.Where(c => c.Exit is { IsCompleted: true } && c.Checkpoint.Id is not null && c.Checkpoint.FinalTermination is null))
            {
                await RecordExitAsync(pod, runtime, container, container.Exit!.Result, now, cancellationToken);
            }

            Teardown(runtime);
            _running.TryRemove(key, out _);
        }

        try
        {
            await _client.DeleteAsync<V1Pod>(pod.Metadata.NamespaceProperty, pod.Metadata.Name, new DeleteRequest(GracePeriodSeconds: 0, PreconditionUid: pod.Metadata.Uid), cancellationToken);
            KubeletLog.PodDeleted(Logger, key);
        }
        catch (KubeApiException e) when (e.IsNotFound || e.IsConflict)
        {
        }
    }

    /// <summary>SIGTERM to every running container, SIGKILL once the grace period is over; true when none runs any more.</summary>
    private bool StopContainers(RuntimePod runtime, V1Pod? pod, TimeSpan grace, DateTime now, out TimeSpan wake)
    {
        wake = TimeSpan.FromSeconds(1);
        bool stopped = true;
        foreach (var container in runtime.Containers.Values)
        {
            container.NextStartAt = null;
            if (!container.Running)
            {
                continue;
            }

            stopped = false;
            if (container.KillDeadline is null)
            {
                container.StopProbes();
                if (pod is not null)
                {
                    _ = _events.NormalAsync(pod, KubeletEvents.Killing, KubeletEvents.StoppingContainer(container.Name));
                }

                Signal(runtime, container, grace > TimeSpan.Zero ? container.Checkpoint.StopSignal : SIGKILL);
                container.KillDeadline = now + grace;
            }
            else if (now >= container.KillDeadline)
            {
                Signal(runtime, container, SIGKILL);
            }
            else if (container.KillDeadline.Value - now < wake)
            {
                wake = container.KillDeadline.Value - now;
            }
        }

        return stopped;
    }

    /// <summary>
    /// Signals the container's process and, while it lives, its process group: the spawner starts each container in
    /// a session of its own, so what it forked (a shell's children) goes with it, as a cgroup kill would take them.
    /// The group is only signalled while its leader, which the pidfd holds, is alive: its id cannot be anyone else's.
    /// </summary>
    private void Signal(RuntimePod runtime, RuntimeContainer container, int signal)
    {
        KubeletLog.ContainerStopping(Logger, runtime.Key, container.Name, signal);
        if (container.Process is not { } process)
        {
            return;
        }

        // The group includes its leader (setsid made pgid = pid): one signal each, since a second SIGTERM means
        // "quit now" to many programs. The pidfd is the fallback when the group cannot be signalled.
        if (process.HasExited || Interop.Libc.kill(-process.Pid, signal) != 0)
        {
            process.Signal(signal);
        }
    }

    private void KillNow(RuntimePod runtime)
    {
        foreach (var container in runtime.Containers.Values.Where(c => c.Running))
        {
            Signal(runtime, container, SIGKILL);
            container.Process!.WaitForExitAsync().Wait(TimeSpan.FromSeconds(5));
        }
    }

    private void Teardown(RuntimePod runtime)
    {
        foreach (var container in runtime.Containers.Values)
        {
            container.StopProbes();
            container.Process?.Dispose();
            container.Process = null;
        }

        _sandboxes.Teardown(runtime.Checkpoint, CancellationToken.None);
        KubeletLog.SandboxRemoved(Logger, runtime.Key, runtime.Uid, runtime.Checkpoint.SandboxId);
    }

    private void TryTeardown(RuntimePod runtime)
    {
        try
        {
            Teardown(runtime);
        }
        catch (Exception e)
        {
            KubeletLog.TeardownFailed(Logger, runtime.Key, runtime.Uid, e.Message);
        }
    }

    /// <summary>
    /// Stops every pod this loop runs and removes their sandboxes (tests, and a node being drained for good); a
    /// normal agent shutdown leaves the pods running for the next agent to adopt.
    /// </summary>
    public void RemoveAll()
    {
        foreach (var runtime in _running.Values)
        {
            KillNow(runtime);
            TryTeardown(runtime);
        }

        _running.Clear();
    }

    // ---- status ----

    private static bool Finished(V1Pod pod, RuntimePod runtime) =>
        pod.Spec.Containers.All(c => runtime.Containers.TryGetValue(c.Name, out var container) && container.Checkpoint.FinalTermination is not null)
        || (pod.Spec.InitContainers ?? []).Any(c => runtime.Containers.TryGetValue(c.Name, out var container) && container.Checkpoint.FinalTermination is { ExitCode: not 0 });

    private async Task WriteStatusAsync(V1Pod pod, RuntimePod runtime, DateTime now, CancellationToken cancellationToken)
    {
        var initStatuses = (pod.Spec.InitContainers ?? []).Select(spec => ContainerStatus(pod, runtime, spec, now)).ToList();
        bool initializing = initStatuses.Any(s => s.State.Terminated is not { ExitCode: 0 });
        var statuses = pod.Spec.Containers.Select(spec => ContainerStatus(pod, runtime, spec, now, initializing)).ToList();
        var view = new PodRuntimeView(runtime.SandboxReady, runtime.SandboxReady && !runtime.Checkpoint.NetworkReleased ? runtime.Checkpoint.PodIps : [],
            _config.NodeIp, runtime.StartTime, statuses) { InitContainers = initStatuses };
        var status = PodStatusBuilder.Build(pod, view, now);
        if (!PodStatusBuilder.Differs(pod.Status, status))
        {
            return;
        }

        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
        copy.Status = status;
        await _client.UpdateStatusAsync(copy, cancellationToken);
    }

    private V1ContainerStatus ContainerStatus(V1Pod pod, RuntimePod runtime, V1Container spec, DateTime now, bool initializing = false)
    {
        var container = runtime.Containers.GetValueOrDefault(spec.Name);
        var saved = container?.Checkpoint;
        var status = new V1ContainerStatus
        {
            Name = spec.Name,
            Image = spec.Image,
            ImageID = saved?.ImageId ?? string.Empty,
            ContainerID = saved?.Id is { } id ? $"strata://{id}" : null,
            RestartCount = saved?.RestartCount ?? 0,
            Ready = container?.Ready ?? false,
            Started = container?.Started ?? false,
            LastState = new V1ContainerState { Terminated = Terminated(saved?.LastTermination) },
        };
        if (container is { Running: true })
        {
            status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = saved!.StartedAt } };
        }
        else if (saved?.FinalTermination is { } final)
        {
            status.State = new V1ContainerState { Terminated = Terminated(final) };
        }
        else if (container?.NextStartAt is { } at && at > now && container.Waiting is null)
        {
            string delay = CrashLoopBackOff.Format(container.BackOff ?? TimeSpan.Zero);
            status.State = new V1ContainerState
            {
                Waiting = new V1ContainerStateWaiting
                {
                    Reason = "CrashLoopBackOff",
                    Message = KubeletEvents.CrashLoopMessage(delay, spec.Name, pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Uid),
                },
            };
        }
        else if (container?.Waiting is { } waiting)
        {
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = waiting.Reason, Message = waiting.Message } };
        }
        else
        {
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = initializing && runtime.SandboxReady ? "PodInitializing" : "ContainerCreating" } };
        }

        return status;
    }

    private static V1ContainerStateTerminated? Terminated(TerminationRecord? record) => record is null ? null : new V1ContainerStateTerminated
    {
        ExitCode = record.ExitCode,
        Reason = record.Reason,
        StartedAt = record.StartedAt,
        FinishedAt = PodStatusBuilder.Truncate(record.FinishedAt),
        ContainerID = record.ContainerId,
        Message = record.Message,
    };

    private static TimeSpan Grace(V1Pod pod) => TimeSpan.FromSeconds(pod.Spec.TerminationGracePeriodSeconds ?? 30);

    private void ScheduleWake(string key, List<DateTime> wakeAt, DateTime now)
    {
        if (wakeAt.Count > 0)
        {
            var delay = wakeAt.Min() - now;
            Queue.AddAfter(key, delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(10));
        }
    }
}
