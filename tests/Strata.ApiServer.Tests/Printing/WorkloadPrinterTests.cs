namespace Strata.ApiServer.Tests.Printing;

/// <summary>TestPrintDeployment, TestPrintReplicaSet(List), TestPrintDaemonSet(List) and TestPrintStatefulSet from printers_test.go.</summary>
public class WorkloadPrinterTests
{
    private const string Template = """
        "template": {"spec": {"containers": [{"name": "fake-container1", "image": "fake-image1"}, {"name": "fake-container2", "image": "fake-image2"}]}}
        """;

    [Fact]
    public void Deployment() =>
        Assert.Equal(
            ["test1", "0/5", 2L, 1L, "0s", "fake-container1,fake-container2", "fake-image1,fake-image2", "foo=bar"],
            Rows.Wide("apps", "Deployment", """
                {"metadata": {"name": "test1", "creationTimestamp": "2025-01-15T12:00:01Z"},
                 "spec": {"replicas": 5, "selector": {"matchLabels": {"foo": "bar"}}, TEMPLATE},
                 "status": {"replicas": 10, "updatedReplicas": 2, "availableReplicas": 1, "unavailableReplicas": 4}}
                """.Replace("TEMPLATE", Template, StringComparison.Ordinal)));

    [Fact]
    public void DeploymentSelectorThatSelectsEverythingIsEmpty() =>
        Assert.Equal(
            ["d", "3/3", 3L, 3L, "<unknown>", "", "", ""],
            Rows.Wide("apps", "Deployment", """{"metadata": {"name": "d"}, "spec": {"replicas": 3, "selector": {}}, "status": {"readyReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3}}"""));

    [Fact]
    public void DeploymentWithoutReplicasIsDefaultedToOne() =>
        Assert.Equal("0/1", Rows.Wide("apps", "Deployment", """{"metadata": {"name": "d"}}""")[1]);

    [Theory]
    [InlineData("""{"metadata": {"name": "test1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"replicas": 5, "selector": {"matchLabels": {"foo": "bar"}}, TEMPLATE}, "status": {"replicas": 5, "readyReplicas": 2}}""",
        "test1", 5L, 5L, 2L, "0s", "fake-container1,fake-container2", "fake-image1,fake-image2", "foo=bar")]
    [InlineData("""{"metadata": {"name": "replicaset2", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"replicas": 4, "template": {}, "selector": {"matchLabels": {"foo": "bar"}}}, "status": {"replicas": 3, "readyReplicas": 1}}""",
        "replicaset2", 4L, 3L, 1L, "0s", "", "", "foo=bar")]
    [InlineData("""{"metadata": {"name": "replicaset1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"replicas": 5, TEMPLATE}, "status": {"replicas": 5, "readyReplicas": 2}}""",
        "replicaset1", 5L, 5L, 2L, "0s", "fake-container1,fake-container2", "fake-image1,fake-image2", "<none>")]
    public void ReplicaSet(string json, params object[] expected) =>
        Assert.Equal(expected, Rows.Wide("apps", "ReplicaSet", json.Replace("TEMPLATE", Template, StringComparison.Ordinal)));

    [Theory]
    [InlineData("""
        {"metadata": {"name": "test1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {TEMPLATE, "selector": {"matchLabels": {"foo": "bar"}}},
                   "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 3, "numberReady": 1, "updatedNumberScheduled": 2, "numberAvailable": 0}}
        """,
        "test1", 3L, 2L, 1L, 2L, 0L, "<none>", "0s", "fake-container1,fake-container2", "fake-image1,fake-image2", "foo=bar")]
    [InlineData("""
        {"metadata": {"name": "daemonset1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {TEMPLATE},
                   "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 3, "numberReady": 1, "updatedNumberScheduled": 2, "numberAvailable": 0}}
        """,
        "daemonset1", 3L, 2L, 1L, 2L, 0L, "<none>", "0s", "fake-container1,fake-container2", "fake-image1,fake-image2", "<none>")]
    [InlineData("""
        {"metadata": {"name": "kube-flannel-ds"}, "spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "kube-flannel", "image": "flannel:v0.26"}]}},
                   "selector": {"matchLabels": {"app": "flannel"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["node", "edge"]}, {"key": "canary", "operator": "DoesNotExist"}]}},
                   "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3, "numberAvailable": 3}}
        """,
        "kube-flannel-ds", 3L, 3L, 3L, 3L, 3L, "kubernetes.io/os=linux", "<unknown>", "kube-flannel", "flannel:v0.26", "app=flannel,!canary,tier in (edge,node)")]
    public void DaemonSet(string json, params object[] expected) =>
        Assert.Equal(expected, Rows.Wide("apps", "DaemonSet", json.Replace("TEMPLATE", Template, StringComparison.Ordinal)));

    [Fact]
    public void StatefulSet() =>
        Assert.Equal(
            ["test1", "2/5", "0s", "fake-container1,fake-container2", "fake-image1,fake-image2"],
            Rows.Wide("apps", "StatefulSet", """
                {"metadata": {"name": "test1", "creationTimestamp": "2025-01-15T12:00:01Z"}, "spec": {"replicas": 5, TEMPLATE}, "status": {"replicas": 5, "readyReplicas": 2}}
                """.Replace("TEMPLATE", Template, StringComparison.Ordinal)));

    [Theory]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "In"}]}""", "<error>")]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}""", "<error>")]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}""", "<error>")]
    [InlineData("""{"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["y"]}, {"key": "a", "operator": "Exists"}]}""", "a,b notin (y)")]
    public void InvalidSelectorsPrintAsErrors(string selector, string expected) =>
        Assert.Equal(expected, Rows.Wide("apps", "ReplicaSet", """{"metadata": {"name": "r"}, "spec": {"selector": SELECTOR}}""".Replace("SELECTOR", selector, StringComparison.Ordinal))[7]);

    [Fact]
    public void AnInvalidDeploymentSelectorIsInvalid() =>
        Assert.Equal("<invalid>", Rows.Wide("apps", "Deployment", """{"metadata": {"name": "d"}, "spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}}""")[7]);
}
