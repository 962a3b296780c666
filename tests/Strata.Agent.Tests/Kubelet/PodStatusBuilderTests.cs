using k8s.Models;
using Strata.Agent.Kubelet.Pods;

namespace Strata.Agent.Tests.Kubelet;

public sealed class PodStatusBuilderTests
{
    private static readonly DateTime Now = new(2026, 12, 6, 1, 2, 3, 456, DateTimeKind.Utc);

    public static TheoryData<string, string[], string> Phases => new()
    {
        { "Always", ["waiting"], "Pending" },
        { "Always", ["running", "waiting"], "Pending" },
        { "Always", ["running"], "Running" },
        { "Always", ["crashloop"], "Running" },
        { "Always", ["exit0"], "Running" },
        { "Never", ["exit0", "exit0"], "Succeeded" },
        { "Never", ["exit0", "exit1"], "Failed" },
        { "Never", ["running", "exit1"], "Running" },
        { "OnFailure", ["exit0"], "Succeeded" },
        { "OnFailure", ["crashloop"], "Running" },
    };

    [Theory]
    [MemberData(nameof(Phases))]
    public void Phase(string policy, string[] states, string expected)
    {
        Assert.Equal(expected, PodStatusBuilder.Phase(new V1PodSpec { RestartPolicy = policy, Containers = [] }, [.. states.Select(State)]));
    }

    [Fact]
    public void ConditionsFollowReadinessAndKeepTheirTransitionTimes()
    {
        var pod = Pod();
        var earlier = Now.AddMinutes(-1);
        pod.Status = new V1PodStatus
        {
            Conditions =
            [
                new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = earlier },
                new V1PodCondition { Type = "Initialized", Status = "True", LastTransitionTime = earlier },
                new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = earlier },
            ],
        };
        var unready = State("running");
        unready.Name = "b";
        var ready = State("running");
        ready.Ready = true;
        var status = PodStatusBuilder.Build(pod, new PodRuntimeView(true, ["10.233.64.9"], "172.19.0.8", earlier, [ready, unready]), Now);

        Assert.Equal("Running", status.Phase);
        Assert.Equal(("10.233.64.9", "172.19.0.8"), (status.PodIP, status.HostIP));
        var readyCondition = status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "ContainersNotReady", "containers with unready status: [b]"), (readyCondition.Status, readyCondition.Reason, readyCondition.Message));
        Assert.Equal(new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc), readyCondition.LastTransitionTime);
        Assert.Equal(earlier, status.Conditions.Single(c => c.Type == "Initialized").LastTransitionTime);
        Assert.Equal(earlier, status.Conditions.Single(c => c.Type == "PodScheduled").LastTransitionTime);
        Assert.Equal("True", status.Conditions.Single(c => c.Type == "PodReadyToStartContainers").Status);
    }

    [Fact]
    public void CompletedPodsAreNotReadyAndKeepTheirIp()
    {
        var pod = Pod();
        pod.Spec.RestartPolicy = "Never";
        pod.Status = new V1PodStatus { PodIPs = [new V1PodIP { Ip = "10.233.64.9" }] };
        var status = PodStatusBuilder.Build(pod, new PodRuntimeView(true, [], "172.19.0.8", Now, [State("exit0")]), Now);
        Assert.Equal("Succeeded", status.Phase);
        Assert.Equal("PodCompleted", status.Conditions.Single(c => c.Type == "Ready").Reason);
        Assert.Equal("False", status.Conditions.Single(c => c.Type == "PodReadyToStartContainers").Status);
        Assert.Equal("10.233.64.9", status.PodIP);
    }

    [Theory]
    [InlineData("Always", "running", "Pending", "False")]
    [InlineData("Always", "exit0", "Running", "True")]
    [InlineData("Never", "exit1", "Failed", "False")]
    [InlineData("OnFailure", "crashloop", "Pending", "False")]
    public void InitContainersGateThePod(string policy, string initState, string phase, string initialized)
    {
        var pod = Pod();
        pod.Spec.RestartPolicy = policy;
        var init = State(initState);
        init.Name = "setup";
        var app = initState == "exit0" ? State("running") : State("waiting");
        var status = PodStatusBuilder.Build(pod, new PodRuntimeView(true, ["10.233.64.9"], "172.19.0.8", Now, [app]) { InitContainers = [init] }, Now);
        Assert.Equal(phase, status.Phase);
        var condition = status.Conditions.Single(c => c.Type == "Initialized");
        Assert.Equal(initialized, condition.Status);
        if (initialized == "False")
        {
            Assert.Equal(("ContainersNotInitialized", "containers with incomplete status: [setup]"), (condition.Reason, condition.Message));
        }

        Assert.Equal("setup", status.InitContainerStatuses.Single().Name);
    }

    [Fact]
    public void DiffersOnlyWhenSomethingChanged()
    {
        var pod = Pod();
        var view = new PodRuntimeView(true, ["10.233.64.9"], "172.19.0.8", Now, [State("running")]);
        pod.Status = PodStatusBuilder.Build(pod, view, Now);
        Assert.False(PodStatusBuilder.Differs(pod.Status, PodStatusBuilder.Build(pod, view, Now.AddSeconds(30))));
        var ready = State("running");
        ready.Ready = true;
        Assert.True(PodStatusBuilder.Differs(pod.Status, PodStatusBuilder.Build(pod, view with { Containers = [ready] }, Now.AddSeconds(30))));
    }

    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "u" },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "a" }] },
    };

    private static V1ContainerStatus State(string state)
    {
        var terminated = (int code) => new V1ContainerStateTerminated { ExitCode = code, Reason = code == 0 ? "Completed" : "Error" };
        return new V1ContainerStatus
        {
            Name = "a",
            State = state switch
            {
                "running" => new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Now } },
                "exit0" => new V1ContainerState { Terminated = terminated(0) },
                "exit1" => new V1ContainerState { Terminated = terminated(1) },
                _ => new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = state == "crashloop" ? "CrashLoopBackOff" : "ContainerCreating" } },
            },
            LastState = state == "crashloop" ? new V1ContainerState { Terminated = terminated(2) } : new V1ContainerState(),
        };
    }
}
