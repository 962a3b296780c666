using k8s.Models;
using Strata.Controllers.Machinery;
using Strata.Controllers.Tests.Support;
using Strata.Controllers.Workloads;

namespace Strata.Controllers.Tests.Workloads;

public sealed class DeploymentControllerTests
{
    private static string Manifest(string name, int replicas, string image, int? historyLimit = null, string strategy = "RollingUpdate") => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: default
        spec:
          replicas: {replicas}
          {(historyLimit is { } l ? $"revisionHistoryLimit: {l}" : "")}
          strategy:
            type: {strategy}
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
              containers:
              - name: nginx
                image: {image}
        """;

    private static async Task<IReadOnlyList<V1ReplicaSet>> ReplicaSets(ControlPlane plane, string app) => await plane.ListAsync<V1ReplicaSet>("default", $"app={app}");

    private static async Task<IReadOnlyList<V1Pod>> ActivePods(ControlPlane plane, string app) =>
        [.. (await plane.ListAsync<V1Pod>("default", $"app={app}")).Where(p => p.Metadata.DeletionTimestamp is null)];

    private static Task<V1Deployment?> Get(ControlPlane plane, string name) => plane.Client.GetAsync<V1Deployment>("default", name);

    private static bool RolledOut(V1Deployment? d, int replicas) =>
        d?.Status is { } s && s.ObservedGeneration == d.Metadata.Generation && s.UpdatedReplicas == replicas && s.Replicas == replicas && s.AvailableReplicas == replicas;

    [KubectlFact]
    public async Task Creates_a_hashed_replica_set_with_pods_and_scales_with_kubectl()
    {
        await using var plane = await ControlPlane.StartAsync("deployment", "replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        var applied = plane.KubectlStdin(Manifest("nginx", 3, "nginx:1.27"), "apply", "-f", "-");
        Assert.True(applied.ExitCode == 0, applied.Stderr);

        var d = await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 3), "three available replicas");
        var rs = Assert.Single(await ReplicaSets(plane, "nginx"));
        var hash = rs.Metadata.Labels[DeploymentUtil.PodTemplateHashLabel];
        Assert.Matches("^[456789bcdf]{1,10}$", hash);
        Assert.Equal($"nginx-{hash}", rs.Metadata.Name);
        Assert.Equal(hash, rs.Spec.Selector.MatchLabels[DeploymentUtil.PodTemplateHashLabel]);
        Assert.Equal(hash, rs.Spec.Template.Metadata.Labels[DeploymentUtil.PodTemplateHashLabel]);
        Assert.Equal(("Deployment", d!.Metadata.Uid), (rs.Metadata.OwnerReferences[0].Kind, rs.Metadata.OwnerReferences[0].Uid));
        Assert.Equal(("1", "3", "4"), (rs.Metadata.Annotations[DeploymentUtil.RevisionAnnotation], rs.Metadata.Annotations[DeploymentUtil.DesiredReplicasAnnotation],
            rs.Metadata.Annotations[DeploymentUtil.MaxReplicasAnnotation]));
        Assert.Equal("1", d.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]);
        var pods = await ActivePods(plane, "nginx");
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p => Assert.StartsWith($"nginx-{hash}-", p.Metadata.Name));

        var available = DeploymentUtil.Condition(d.Status, "Available")!;
        Assert.Equal(("True", "MinimumReplicasAvailable", "Deployment has minimum availability."), (available.Status, available.Reason, available.Message));
        var progressing = DeploymentUtil.Condition(d.Status, "Progressing")!;
        Assert.Equal(("True", "NewReplicaSetAvailable", $"ReplicaSet \"nginx-{hash}\" has successfully progressed."), (progressing.Status, progressing.Reason, progressing.Message));
        Assert.Equal(0, d.Status.UnavailableReplicas ?? 0);

        plane.KubectlOk("scale", "deployment", "nginx", "--replicas=5");
        await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 5), "five replicas");
        Assert.Equal(5, (await ActivePods(plane, "nginx")).Count);
        plane.KubectlOk("scale", "deployment", "nginx", "--replicas=3");
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "nginx"), p => p.Count == 3, "three pods again");
        await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 3), "three replicas");
        Assert.Single(await ReplicaSets(plane, "nginx"));

        var events = (await plane.ListAsync<Corev1Event>("default")).Where(e => e.Reason == "ScalingReplicaSet").Select(e => e.Message).ToList();
        Assert.Equal([$"Scaled up replica set nginx-{hash} from 0 to 3", $"Scaled up replica set nginx-{hash} from 3 to 5", $"Scaled down replica set nginx-{hash} from 5 to 3"], events);
    }

    [KubectlFact]
    public async Task Rolling_update_stays_within_surge_and_unavailability_then_history_and_undo_work()
    {
        await using var plane = await ControlPlane.StartAsync("deployment", "replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        plane.KubectlStdin(Manifest("nginx", 3, "nginx:1.27"), "apply", "-f", "-");
        await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 3), "three available replicas");

        // Every change the test sees, with 3 replicas and 25%/25% (surge 1, unavailable 0): the ReplicaSets never ask for
        // more than 4 pods nor report fewer than 3 available, and never fewer than 3 pods are ready. (Pods follow their
        // ReplicaSet's size asynchronously, as upstream, so the pod total may briefly lag a scale-down.)
        var pods = new Informer<V1Pod>(plane.Client);
        var sets = new Informer<V1ReplicaSet>(plane.Client);
        var (maxSpec, minAvailable, minReady, samples) = (0, int.MaxValue, int.MaxValue, 0);
        var gate = new object();
        var started = false;
        void Sample()
        {
            if (!Volatile.Read(ref started))
            {
                return;
            }

            var ready = pods.List().Count(p => DeploymentUtil.Value(p.Metadata.Labels, "app") == "nginx" && p.Metadata.DeletionTimestamp is null && PodConditions.IsReady(p));
            var owned = sets.List().Where(r => DeploymentUtil.Value(r.Metadata.Labels, "app") == "nginx").ToList();
            lock (gate)
            {
                maxSpec = Math.Max(maxSpec, owned.Sum(r => r.Spec.Replicas ?? 0));
                minAvailable = Math.Min(minAvailable, owned.Sum(r => r.Status?.AvailableReplicas ?? 0));
                minReady = Math.Min(minReady, ready);
                samples++;
            }
        }

        pods.AddHandler(_ => Sample(), (_, _) => Sample(), _ => Sample());
        sets.AddHandler(_ => Sample(), (_, _) => Sample(), _ => Sample());
        using var stop = new CancellationTokenSource();
        var watching = Task.WhenAll(pods.RunAsync(stop.Token), sets.RunAsync(stop.Token));
        await pods.WaitForSyncAsync(CancellationToken.None);
        await sets.WaitForSyncAsync(CancellationToken.None);
        Volatile.Write(ref started, true);

        var status = Task.Run(() => plane.Kubectl("rollout", "status", "deployment/nginx", "--timeout=60s"));
        plane.KubectlOk("set", "image", "deployment/nginx", "nginx=nginx:1.28");
        var rollout = await status;
        Assert.True(rollout.ExitCode == 0, rollout.Stderr);
        Assert.Contains("deployment \"nginx\" successfully rolled out", rollout.Stdout);
        var d = await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 3) && d!.Status.Replicas == 3, "rolled out");
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "nginx"), p => p.Count == 3 && p.All(x => x.Spec.Containers[0].Image == "nginx:1.28"), "three new pods");
        await stop.CancelAsync();
        await watching;
        lock (gate)
        {
            Assert.True(samples > 6, $"only {samples} samples");
            Assert.True(maxSpec <= 4, $"the replica sets asked for {maxSpec} pods at once");
            Assert.True(minAvailable >= 3, $"the replica sets reported only {minAvailable} available at one point");
            Assert.True(minReady >= 3, $"only {minReady} pods ready at one point");
        }

        var replicaSets = await ReplicaSets(plane, "nginx");
        Assert.Equal(2, replicaSets.Count);
        var old = replicaSets.Single(r => r.Spec.Template.Spec.Containers[0].Image == "nginx:1.27");
        Assert.Equal((0, "1"), (old.Spec.Replicas, old.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]));
        Assert.Equal("2", replicaSets.Single(r => r != old).Metadata.Annotations[DeploymentUtil.RevisionAnnotation]);
        Assert.Equal("2", d!.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]);

        var history = plane.KubectlOk("rollout", "history", "deployment/nginx");
        Assert.Matches(@"REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>", history);

        var undo = plane.Kubectl("rollout", "undo", "deployment/nginx");
        Assert.True(undo.ExitCode == 0, undo.Stderr);
        Assert.Contains("rolled back", undo.Stdout);
        await ControlPlane.EventuallyAsync(() => ActivePods(plane, "nginx"), p => p.Count == 3 && p.All(x => x.Spec.Containers[0].Image == "nginx:1.27"), "the old pods back");
        await ControlPlane.EventuallyAsync(() => Get(plane, "nginx"), d => RolledOut(d, 3) && d!.Metadata.Annotations[DeploymentUtil.RevisionAnnotation] == "3", "revision 3");
        // Rolling back reuses the first ReplicaSet, which now carries revision 3 and remembers 1.
        var reused = await plane.Client.GetAsync<V1ReplicaSet>("default", old.Metadata.Name);
        Assert.Equal(("3", "1", 3), (reused!.Metadata.Annotations[DeploymentUtil.RevisionAnnotation], reused.Metadata.Annotations[DeploymentUtil.RevisionHistoryAnnotation], reused.Spec.Replicas));
        Assert.Matches(@"REVISION\s+CHANGE-CAUSE\s+2\s+<none>\s+3\s+<none>", plane.KubectlOk("rollout", "history", "deployment/nginx"));
    }

    [KubectlFact]
    public async Task Old_replica_sets_beyond_the_history_limit_are_deleted()
    {
        await using var plane = await ControlPlane.StartAsync("deployment", "replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        plane.KubectlStdin(Manifest("pruned", 2, "nginx:1.25", historyLimit: 1), "apply", "-f", "-");
        await ControlPlane.EventuallyAsync(() => Get(plane, "pruned"), d => RolledOut(d, 2), "first rollout");
        foreach (var image in new[] { "nginx:1.26", "nginx:1.27", "nginx:1.28" })
        {
            plane.KubectlOk("set", "image", "deployment/pruned", $"nginx={image}");
            await ControlPlane.EventuallyAsync(() => Get(plane, "pruned"), d => RolledOut(d, 2) && d!.Spec.Template.Spec.Containers[0].Image == image, $"rollout to {image}");
        }

        var replicaSets = await ControlPlane.EventuallyAsync(() => ReplicaSets(plane, "pruned"), r => r.Count == 2, "the new and one old replica set");
        Assert.Equal(["3", "4"], replicaSets.Select(r => r.Metadata.Annotations[DeploymentUtil.RevisionAnnotation]).Order());
    }

    [Fact]
    public async Task Recreate_removes_every_old_pod_before_creating_new_ones()
    {
        await using var plane = await ControlPlane.StartAsync("deployment", "replicaset");
        await using var kubelet = await KubeletSimulator.StartAsync(plane.Client);
        plane.KubectlStdin(Manifest("recreated", 2, "nginx:1.27", strategy: "Recreate"), "apply", "-f", "-");
        await ControlPlane.EventuallyAsync(() => Get(plane, "recreated"), d => RolledOut(d, 2), "first rollout");

        var mixed = false;
        var watcher = new Informer<V1Pod>(plane.Client);
        watcher.AddHandler(added: _ =>
        {
            var images = watcher.List().Where(p => DeploymentUtil.Value(p.Metadata.Labels, "app") == "recreated").Select(p => p.Spec.Containers[0].Image).Distinct().Count();
            mixed |= images > 1;
        });
        using var stop = new CancellationTokenSource();
        var watching = watcher.RunAsync(stop.Token);
        await watcher.WaitForSyncAsync(CancellationToken.None);

        plane.KubectlOk("set", "image", "deployment/recreated", "nginx=nginx:1.28");
        await ControlPlane.EventuallyAsync(() => Get(plane, "recreated"), d => RolledOut(d, 2) && d!.Metadata.Annotations[DeploymentUtil.RevisionAnnotation] == "2", "second rollout");
        await stop.CancelAsync();
        await watching;
        Assert.False(mixed, "a new pod was created while an old one existed");
    }
}
