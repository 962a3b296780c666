using Strata.ApiServer.Printing;

using Strata.Controllers.Machinery;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>
/// TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide, TestPrintPodConditions and
/// TestPrintNonTerminatedPod from pkg/printers/internalversion/printers_test.go, with the objects in v1 JSON.
/// </summary>
public class PodPrinterTests
{
    public static TheoryData<string, object?[]> Pods => new()
    {
        // name, number of containers, restarts, container ready status
        {
            """
            {"metadata": {"name": "test1"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "podPhase", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"restartCount": 3}]}}
            """,
            ["test1", "1/2", "podPhase", "6", "<unknown>"]
        },
        // a container error overwrites the pod phase
        {
            """
            {"metadata": {"name": "test2"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "podPhase", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"running": {}}},
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3}]}}
            """,
            ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>"]
        },
        // terminated too, and the first container's reason wins
        {
            """
            {"metadata": {"name": "test3"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "podPhase", "containerStatuses": [
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                {"state": {"terminated": {"reason": "ContainerTerminatedReason"}}, "restartCount": 3}]}}
            """,
            ["test3", "0/2", "ContainerWaitingReason", "6", "<unknown>"]
        },
        // ready is not enough for reporting running
        {
            """
            {"metadata": {"name": "test4"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "podPhase", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"ready": true, "restartCount": 3}]}}
            """,
            ["test4", "1/2", "podPhase", "6", "<unknown>"]
        },
        {
            """
            {"metadata": {"name": "test5"}, "spec": {"containers": [{}, {}]}, "status": {"reason": "podReason", "phase": "podPhase", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"ready": true, "restartCount": 3}]}}
            """,
            ["test5", "1/2", "podReason", "6", "<unknown>"]
        },
        // one container running and the other completed, without a Ready condition
        {
            """
            {"metadata": {"name": "test6"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "Running", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                {"ready": true, "restartCount": 3, "state": {"running": {}}}]}}
            """,
            ["test6", "1/2", "NotReady", "6", "<unknown>"]
        },
        // ... and with one
        {
            """
            {"metadata": {"name": "test6"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": "2025-01-15T12:00:00Z"}], "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                {"ready": true, "restartCount": 3, "state": {"running": {}}}]}}
            """,
            ["test6", "1/2", "Running", "6", "<unknown>"]
        },
        // one init container restarting, one container not running
        {
            """
            {"metadata": {"name": "test7"}, "spec": {"initContainers": [{}], "containers": [{}]}, "status": {"phase": "podPhase",
                "initContainerStatuses": [{"ready": false, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}}],
                "containerStatuses": [{"ready": false, "restartCount": 0, "state": {"waiting": {}}}]}}
            """,
            ["test7", "0/1", "Init:0/1", "3 (10s ago)", "<unknown>"]
        },
        // two init containers, one restarting and the other not running
        {
            """
            {"metadata": {"name": "test8"}, "spec": {"initContainers": [{}, {}], "containers": [{}]}, "status": {"phase": "podPhase",
                "initContainerStatuses": [
                    {"ready": false, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}},
                    {"ready": false, "state": {"waiting": {}}}],
                "containerStatuses": [{"ready": false, "state": {"waiting": {}}}]}}
            """,
            ["test8", "0/1", "Init:0/2", "3 (10s ago)", "<unknown>"]
        },
        // two init containers, one completed without restarts and the other restarting
        {
            """
            {"metadata": {"name": "test9"}, "spec": {"initContainers": [{}, {}], "containers": [{}]}, "status": {"phase": "podPhase",
                "initContainerStatuses": [
                    {"ready": false, "state": {"terminated": {}}},
                    {"ready": false, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}}],
                "containerStatuses": [{"ready": false, "state": {"waiting": {}}}]}}
            """,
            ["test9", "0/1", "Init:1/2", "3 (10s ago)", "<unknown>"]
        },
        // two init containers, one completed with restarts and the other restarting
        {
            """
            {"metadata": {"name": "test10"}, "spec": {"initContainers": [{}, {}], "containers": [{}]}, "status": {"phase": "podPhase",
                "initContainerStatuses": [
                    {"ready": false, "restartCount": 2, "state": {"terminated": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:58:00Z"}}},
                    {"ready": false, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}}],
                "containerStatuses": [{"ready": false, "state": {"waiting": {}}}]}}
            """,
            ["test10", "0/1", "Init:1/2", "5 (10s ago)", "<unknown>"]
        },
        // an init container completed with restarts, and a container restarting
        {
            """
            {"metadata": {"name": "test11"}, "spec": {"initContainers": [{}], "containers": [{}]}, "status": {"phase": "Running",
                "initContainerStatuses": [
                    {"ready": false, "restartCount": 2, "state": {"terminated": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:58:00Z"}}}],
                "containerStatuses": [
                    {"ready": false, "restartCount": 4, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:40Z"}}}]}}
            """,
            ["test11", "0/1", "Running", "4 (20s ago)", "<unknown>"]
        },
        // a container that restarted 5d ago
        {
            """
            {"metadata": {"name": "test12"}, "spec": {"containers": [{}]}, "status": {"phase": "Running", "containerStatuses": [
                {"ready": true, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-10T12:00:00Z"}}}]}}
            """,
            ["test12", "1/1", "Running", "3 (5d ago)", "<unknown>"]
        },
        // one container never restarted, the other 10d ago
        {
            """
            {"metadata": {"name": "test13"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "Running", "containerStatuses": [
                {"ready": true, "restartCount": 0, "state": {"running": {}}},
                {"ready": true, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-05T12:00:00Z"}}}]}}
            """,
            ["test13", "2/2", "Running", "3 (10d ago)", "<unknown>"]
        },
        // one restarted 5d ago and the other 20d ago: the latest restart is shown
        {
            """
            {"metadata": {"name": "test14"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "Running", "containerStatuses": [
                {"ready": true, "restartCount": 6, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2025-01-10T12:00:00Z"}}},
                {"ready": true, "restartCount": 3, "state": {"running": {}}, "lastState": {"terminated": {"finishedAt": "2024-12-26T12:00:00Z"}}}]}}
            """,
            ["test14", "2/2", "Running", "9 (5d ago)", "<unknown>"]
        },
        // PodScheduled condition with reason SchedulingGated
        {
            """
            {"metadata": {"name": "test15"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "podPhase",
                "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}}
            """,
            ["test15", "0/2", "SchedulingGated", "0", "<unknown>"]
        },
    };

    public static TheoryData<string, object?[]> PodsWithSidecars => new()
    {
        // two restartable init containers, the first running but not started
        {
            """
            {"metadata": {"name": "test1"}, "spec": {"initContainers": [
                    {"name": "restartable-init-1", "restartPolicy": "Always"}, {"name": "restartable-init-2", "restartPolicy": "Always"}],
                "containers": [{}]}, "status": {"phase": "Pending", "initContainerStatuses": [
                    {"name": "restartable-init-1", "ready": false, "restartCount": 3, "state": {"running": {}}, "started": false,
                     "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}},
                    {"name": "restartable-init-2", "ready": false, "state": {"waiting": {}}, "started": false}],
                "containerStatuses": [{"ready": false, "restartCount": 0, "state": {"waiting": {}}}],
                "conditions": [{"type": "Initialized", "status": "False"}]}}
            """,
            ["test1", "0/3", "Init:0/2", "3 (10s ago)", "<unknown>"]
        },
        // the first started, the second running but not started
        {
            """
            {"metadata": {"name": "test1"}, "spec": {"initContainers": [
                    {"name": "restartable-init-1", "restartPolicy": "Always"}, {"name": "restartable-init-2", "restartPolicy": "Always"}],
                "containers": [{}]}, "status": {"phase": "Pending", "initContainerStatuses": [
                    {"name": "restartable-init-1", "ready": false, "restartCount": 3, "state": {"running": {}}, "started": true,
                     "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}},
                    {"name": "restartable-init-2", "ready": false, "state": {"running": {}}, "started": false}],
                "containerStatuses": [{"ready": false, "restartCount": 0, "state": {"waiting": {}}}],
                "conditions": [{"type": "Initialized", "status": "False"}]}}
            """,
            ["test1", "0/3", "Init:1/2", "3 (10s ago)", "<unknown>"]
        },
        // both started and the container running
        {
            """
            {"metadata": {"name": "test2"}, "spec": {"initContainers": [
                    {"name": "restartable-init-1", "restartPolicy": "Always"}, {"name": "restartable-init-2", "restartPolicy": "Always"}],
                "containers": [{}]}, "status": {"phase": "Running", "initContainerStatuses": [
                    {"name": "restartable-init-1", "ready": false, "restartCount": 3, "state": {"running": {}}, "started": true,
                     "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}},
                    {"name": "restartable-init-2", "ready": false, "state": {"running": {}}, "started": true}],
                "containerStatuses": [{"ready": true, "restartCount": 4, "state": {"running": {}},
                    "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:40Z"}}}],
                "conditions": [{"type": "Initialized", "status": "True"}]}}
            """,
            ["test2", "1/3", "Running", "7 (10s ago)", "<unknown>"]
        },
        // both exited non-zero and the container completed
        {
            """
            {"metadata": {"name": "test3"}, "spec": {"initContainers": [
                    {"name": "restartable-init-1", "restartPolicy": "Always"}, {"name": "restartable-init-2", "restartPolicy": "Always"}],
                "containers": [{}]}, "status": {"phase": "Succeeded", "initContainerStatuses": [
                    {"name": "restartable-init-1", "ready": false, "restartCount": 3, "state": {"terminated": {"reason": "Error", "exitCode": 137}},
                     "started": false, "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:50Z"}}},
                    {"name": "restartable-init-2", "ready": false, "state": {"terminated": {"reason": "Error", "exitCode": 137}}, "started": false}],
                "containerStatuses": [{"ready": false, "restartCount": 4, "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                    "lastState": {"terminated": {"finishedAt": "2025-01-15T11:59:40Z"}}}],
                "conditions": [{"type": "Initialized", "status": "True"}]}}
            """,
            ["test3", "0/3", "Completed", "7 (10s ago)", "<unknown>"]
        },
        // statuses for init containers and containers that do not exist
        {
            """
            {"metadata": {"name": "test4"}, "spec": {"initContainers": [
                    {"name": "init1", "image": "initimage"}, {"name": "sidecar1", "image": "sidecarimage", "restartPolicy": "Always"}],
                "containers": [{"name": "container1", "image": "containerimage"}]}, "status": {"phase": "Running",
                "initContainerStatuses": [{"name": "initinvalid"}, {"name": "init1"}, {"name": "sidecar1"}],
                "containerStatuses": [{"name": "containerinvalid"}, {"name": "container1"}]}}
            """,
            ["test4", "0/2", "Init:0/2", "0", "<unknown>"]
        },
    };

    public static TheoryData<string, object?[]> WidePods => new()
    {
        // NodeName and PodIP set; readiness gates count the True conditions
        {
            """
            {"metadata": {"name": "test1"}, "spec": {"containers": [{}, {}], "nodeName": "test1", "readinessGates": [
                    {"conditionType": "condition1"}, {"conditionType": "condition2"}, {"conditionType": "condition3"}]},
                "status": {"conditions": [{"type": "condition1", "status": "False"}, {"type": "condition2", "status": "True"}],
                "phase": "podPhase", "podIPs": [{"ip": "1.1.1.1"}], "containerStatuses": [
                    {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"restartCount": 3}], "nominatedNodeName": "node1"}}
            """,
            ["test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"]
        },
        // dual stack: the first IP
        {
            """
            {"metadata": {"name": "test1"}, "spec": {"containers": [{}, {}], "nodeName": "test1", "readinessGates": [
                    {"conditionType": "condition1"}, {"conditionType": "condition2"}, {"conditionType": "condition3"}]},
                "status": {"conditions": [{"type": "condition1", "status": "False"}, {"type": "condition2", "status": "True"}],
                "phase": "podPhase", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "2001:db8::"}], "containerStatuses": [
                    {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"restartCount": 3}], "nominatedNodeName": "node1"}}
            """,
            ["test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"]
        },
        // NodeName and PodIP unset
        {
            """
            {"metadata": {"name": "test2"}, "spec": {"containers": [{}, {}], "nodeName": ""}, "status": {"phase": "podPhase",
                "containerStatuses": [{"ready": true, "restartCount": 3, "state": {"running": {}}},
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3}]}}
            """,
            ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        },
    };

    [Theory]
    [MemberData(nameof(Pods))]
    public void PodRowsMatchPrintPod(string json, object?[] expected) =>
        Assert.Equal(expected, Rows.Narrow("", "Pod", json));

    [Theory]
    [MemberData(nameof(PodsWithSidecars))]
    public void SidecarsCountAsContainersOnceStarted(string json, object?[] expected) =>
        Assert.Equal(expected, Rows.Narrow("", "Pod", json));

    [Theory]
    [MemberData(nameof(WidePods))]
    public void WideColumnsShowIPNodeNominatedNodeAndReadinessGates(string json, object?[] expected) =>
        Assert.Equal(expected, Rows.Wide("", "Pod", json));

    [Theory]
    [InlineData("Running", "Running", null)]
    [InlineData("Pending", "Pending", null)]
    [InlineData("Unknown", "Unknown", null)]
    [InlineData("Succeeded", "Succeeded", "Succeeded|The pod has completed successfully.")]
    [InlineData("Failed", "Failed", "Failed|The pod failed.")]
    public void CompletedPodsCarryARowCondition(string phase, string status, string? condition)
    {
        var json = """
            {"metadata": {"name": "test1"}, "spec": {"containers": [{}, {}]}, "status": {"phase": "PHASE", "containerStatuses": [
            {"ready": true, "restartCount": 3, "state": {"running": {}}}, {"restartCount": 3}]}}
            """.Replace("PHASE", phase, StringComparison.Ordinal);

        Assert.Equal(["test1", "1/2", status, "6", "<unknown>"], Rows.Narrow("", "Pod", json));
        var conditions = TablePrinters.For("", "Pod").RowConditions(Rows.Parse(json));
        if (condition is null)
        {
            Assert.Empty(conditions);
        }
        else
        {
            var parts = condition.Split('|');
            Assert.Equal([new TableRowCondition("Completed", "True", parts[0], parts[1])], conditions);
        }
    }

    [Theory]
    [InlineData("Running", "", "Terminating")]
    [InlineData("Succeeded", "", "Succeeded")] // a terminal pod keeps its phase while being deleted
    [InlineData("Running", "NodeLost", "Unknown")]
    public void DeletedPodsAreTerminatingOrUnknown(string phase, string reason, string expected)
    {
        var json = """
            {"metadata": {"name": "p", "deletionTimestamp": "2025-01-15T11:59:55Z"},
            "spec": {"containers": [{}]}, "status": {"phase": "PHASE", "reason": "REASON"}}
            """
            .Replace("PHASE", phase, StringComparison.Ordinal).Replace("REASON", reason, StringComparison.Ordinal);
        Assert.Equal(expected, Rows.Narrow("", "Pod", json)[2]);
    }

    [Theory]
    [InlineData("""{"terminated": {"exitCode": 1}}""", "Init:ExitCode:1")]
    [InlineData("""{"terminated": {"exitCode": 0, "signal": 9}}""", "Init:1/2")] // exit code 0 counts as done
    [InlineData("""{"terminated": {"exitCode": 2, "signal": 9}}""", "Init:Signal:9")]
    [InlineData("""{"terminated": {"exitCode": 2, "reason": "OOMKilled"}}""", "Init:OOMKilled")]
    [InlineData("""{"waiting": {"reason": "CrashLoopBackOff"}}""", "Init:CrashLoopBackOff")]
    [InlineData("""{"waiting": {"reason": "PodInitializing"}}""", "Init:0/2")]
    public void InitContainerFailuresNameTheReason(string state, string expected)
    {
        // The first init container decides unless it exited 0; then the second, still waiting, shows the progress.
        var json = """
            {"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "a"}, {"name": "b"}], "containers": [{}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{"name": "a", "state": STATE}, {"name": "b", "state": {"waiting": {}}}]}}
            """
            .Replace("STATE", state, StringComparison.Ordinal);
        Assert.Equal(expected, Rows.Narrow("", "Pod", json)[2]);
    }

    [Theory]
    [InlineData("""{"terminated": {"exitCode": 1}}""", "ExitCode:1")]
    [InlineData("""{"terminated": {"exitCode": 1, "signal": 15}}""", "Signal:15")]
    [InlineData("""{"terminated": {"exitCode": 0, "reason": "Completed"}}""", "Completed")]
    public void TerminatedContainersWithoutAReasonShowTheExitCodeOrSignal(string state, string expected)
    {
        var json = """{"metadata": {"name": "p"}, "spec": {"containers": [{}]}, "status": {"phase": "Running", "containerStatuses": [{"state": STATE}]}}"""
            .Replace("STATE", state, StringComparison.Ordinal);
        Assert.Equal(expected, Rows.Narrow("", "Pod", json)[2]);
    }

    [Fact]
    public void PodIPFallsBackToTheLegacyField() =>
        Assert.Equal("10.244.1.5", Rows.Wide("", "Pod", """{"metadata": {"name": "p"}, "status": {"podIP": "10.244.1.5"}}""")[5]);

    [Fact]
    public void AgeComesFromCreationTimestamp() =>
        Assert.Equal("3m20s", Rows.Narrow("", "Pod", """{"metadata": {"name": "p", "creationTimestamp": "2025-01-15T11:56:40Z"}}""")[4]);
}
