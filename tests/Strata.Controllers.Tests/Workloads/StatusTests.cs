using k8s.Models;
using Strata.Controllers.Workloads;

namespace Strata.Controllers.Tests.Workloads;

public sealed class StatusTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static V1Pod Pod(string name, bool ready, double readyAgoSeconds, bool fullyLabeled = true) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = fullyLabeled ? new Dictionary<string, string> { ["app"] = "x", ["tier"] = "web" } : new Dictionary<string, string> { ["app"] = "x" },
        },
        Spec = new V1PodSpec(),
        Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = Now.AddSeconds(-readyAgoSeconds) }] },
    };

    [Fact]
    public void Replica_set_counts_labelled_ready_and_available_pods()
    {
        var rs = new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta { Name = "rs", Generation = 2 },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 4, MinReadySeconds = 10,
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "x", ["tier"] = "web" } } },
            },
        };
        V1Pod[] pods = [Pod("old", true, 300), Pod("fresh", true, 1), Pod("unready", false, 300), Pod("partial", true, 300, fullyLabeled: false)];
        var status = ReplicaSetStatus.Calculate(rs, pods, null, Now);
        Assert.Equal((4, 3, 3, 2), (status.Replicas, status.FullyLabeledReplicas, status.ReadyReplicas, status.AvailableReplicas));

        var failed = ReplicaSetStatus.Calculate(rs, pods[..2], new InvalidOperationException("quota"), Now);
        var condition = Assert.Single(failed.Conditions);
        Assert.Equal(("ReplicaFailure", "True", "FailedCreate", "quota"), (condition.Type, condition.Status, condition.Reason, condition.Message));
        rs.Status = failed;
        Assert.Null(ReplicaSetStatus.Calculate(rs, pods, null, Now).Conditions);
    }

    [Fact]
    public void Status_equality_ignores_dropped_zero_counts()
    {
        Assert.True(StatusComparer.Same(new V1ReplicaSetStatus { Replicas = 0, ReadyReplicas = 0 }, new V1ReplicaSetStatus()));
        Assert.False(StatusComparer.Same(new V1ReplicaSetStatus { Replicas = 1 }, new V1ReplicaSetStatus()));
    }

    private static V1Deployment Deployment() => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", Generation = 3 },
        Spec = new V1DeploymentSpec { Replicas = 3, ProgressDeadlineSeconds = 600, Strategy = new V1DeploymentStrategy { Type = "RollingUpdate" } },
        Status = new V1DeploymentStatus
        {
            Replicas = 4, UpdatedReplicas = 1, AvailableReplicas = 3,
            Conditions = [DeploymentUtil.NewCondition("Progressing", "True", DeploymentUtil.NewReplicaSetReason, "Created new replica set \"web-2\"", Now.AddMinutes(-1))],
        },
    };

    private static V1ReplicaSet Rs(string name, int replicas, int available) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ReplicaSetSpec { Replicas = replicas },
        Status = new V1ReplicaSetStatus { Replicas = replicas, ReadyReplicas = available, AvailableReplicas = available },
    };

    [Fact]
    public void Deployment_status_reports_progress_then_completion()
    {
        var d = Deployment();
        var newRs = Rs("web-2", 2, 1);
        var status = DeploymentUtil.CalculateStatus([Rs("web-1", 2, 2), newRs], newRs, d, Now);
        Assert.Equal((4, 2, 3, 3, 1, 3L), (status.Replicas!.Value, status.UpdatedReplicas!.Value, status.ReadyReplicas!.Value, status.AvailableReplicas!.Value, status.UnavailableReplicas!.Value, status.ObservedGeneration!.Value));
        DeploymentUtil.UpdateProgress(d, newRs, status, Now);
        var progressing = DeploymentUtil.Condition(status, "Progressing")!;
        Assert.Equal(("True", "ReplicaSetUpdated", "ReplicaSet \"web-2\" is progressing."), (progressing.Status, progressing.Reason, progressing.Message));
        Assert.Equal(Now.AddMinutes(-1), progressing.LastTransitionTime);
        Assert.Equal("MinimumReplicasAvailable", DeploymentUtil.Condition(status, "Available")!.Reason);

        var done = Rs("web-2", 3, 3);
        status = DeploymentUtil.CalculateStatus([Rs("web-1", 0, 0), done], done, d, Now);
        DeploymentUtil.UpdateProgress(d, done, status, Now);
        progressing = DeploymentUtil.Condition(status, "Progressing")!;
        Assert.Equal(("True", "NewReplicaSetAvailable", "ReplicaSet \"web-2\" has successfully progressed."), (progressing.Status, progressing.Reason, progressing.Message));
        Assert.True(DeploymentUtil.Complete(d, status));
    }

    [Fact]
    public void Deployment_without_progress_past_its_deadline_times_out_and_short_of_minimum_is_unavailable()
    {
        var d = Deployment();
        d.Status.Conditions[0].LastUpdateTime = Now.AddMinutes(-11);
        (d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas) = (2, 1, 1, 1);
        var newRs = Rs("web-2", 1, 0);
        var status = DeploymentUtil.CalculateStatus([Rs("web-1", 1, 1), newRs], newRs, d, Now);
        DeploymentUtil.UpdateProgress(d, newRs, status, Now);
        var progressing = DeploymentUtil.Condition(status, "Progressing")!;
        Assert.Equal(("False", "ProgressDeadlineExceeded", "ReplicaSet \"web-2\" has timed out progressing."), (progressing.Status, progressing.Reason, progressing.Message));
        var available = DeploymentUtil.Condition(status, "Available")!;
        Assert.Equal(("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."), (available.Status, available.Reason, available.Message));
    }

    [Fact]
    public void Expectations_hold_until_observed_or_expired()
    {
        var time = new ManualTime(Now);
        var e = new Expectations(time);
        Assert.True(e.Satisfied("k"));
        e.ExpectCreations("k", 2);
        e.CreationObserved("k");
        Assert.False(e.Satisfied("k"));
        e.CreationObserved("k");
        Assert.True(e.Satisfied("k"));
        e.ExpectDeletions("k", ["ns/a"]);
        e.DeletionObserved("k", "ns/other");
        Assert.False(e.Satisfied("k"));
        time.Advance(Expectations.Timeout + TimeSpan.FromSeconds(1));
        Assert.True(e.Satisfied("k"));
    }

    private sealed class ManualTime(DateTime start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
