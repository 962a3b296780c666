namespace Strata.ApiServer.Tests.Printing;

/// <summary>TestPrintNode* from pkg/printers/internalversion/printers_test.go.</summary>
public class NodePrinterTests
{
    [Theory]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}""", "Ready")]
    [InlineData("""{"metadata": {"name": "foo2"}, "spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}""", "Ready,SchedulingDisabled")]
    [InlineData("""{"metadata": {"name": "foo3"}, "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Ready", "status": "True"}]}}""", "Ready")]
    [InlineData("""{"metadata": {"name": "foo4"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}""", "NotReady")]
    [InlineData("""{"metadata": {"name": "foo5"}, "spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}""", "NotReady,SchedulingDisabled")]
    [InlineData("""{"metadata": {"name": "foo6"}, "status": {"conditions": [{"type": "InvalidValue", "status": "True"}]}}""", "Unknown")]
    [InlineData("""{"metadata": {"name": "foo7"}, "status": {"conditions": [{}]}}""", "Unknown")]
    [InlineData("""{"metadata": {"name": "foo8"}, "spec": {"unschedulable": true}, "status": {"conditions": [{"type": "InvalidValue", "status": "True"}]}}""", "Unknown,SchedulingDisabled")]
    [InlineData("""{"metadata": {"name": "foo9"}, "spec": {"unschedulable": true}, "status": {"conditions": [{}]}}""", "Unknown,SchedulingDisabled")]
    [InlineData("""{"metadata": {"name": "foo10"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}""", "NotReady")]
    public void StatusShowsReadinessAndCordon(string json, string status)
    {
        var name = Rows.Parse(json)["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal([name, status, "<none>", "<unknown>", ""], Rows.Narrow("", "Node", json));
    }

    [Theory]
    [InlineData("""{"metadata": {"name": "foo9"}}""", "<none>")]
    [InlineData("""{"metadata": {"name": "foo10", "labels": {"node-role.kubernetes.io/master": "", "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/proxy": "", "kubernetes.io/role": "node"}}}""", "control-plane,master,node,proxy")]
    [InlineData("""{"metadata": {"name": "foo11", "labels": {"kubernetes.io/role": "node"}}}""", "node")]
    [InlineData("""{"metadata": {"name": "foo12", "labels": {"node-role.kubernetes.io/": "", "kubernetes.io/role": "", "node-role.kubernetes.io/worker": "true"}}}""", "worker")]
    [InlineData("""{"metadata": {"name": "foo13", "labels": {"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "worker"}}}""", "worker")]
    public void RolesComeFromNodeRoleLabels(string json, string roles) =>
        Assert.Equal(roles, Rows.Narrow("", "Node", json)[2]);

    [Theory]
    // Columns: Name, Status, Roles, Age, Version, Internal-IP, External-IP, OS-Image, Kernel-Version, Container-Runtime
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"nodeInfo": {"osImage": "fake-os-image"}, "addresses": [{"type": "ExternalIP", "address": "1.1.1.1"}]}}""",
        "<none>", "1.1.1.1", "fake-os-image", "<unknown>", "<unknown>")]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"nodeInfo": {"kernelVersion": "fake-kernel-version"}, "addresses": [{"type": "ExternalIP", "address": "1.1.1.1"}]}}""",
        "<none>", "1.1.1.1", "<unknown>", "fake-kernel-version", "<unknown>")]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"nodeInfo": {"containerRuntimeVersion": "foo://1.2.3"}, "addresses": [{"type": "ExternalIP", "address": "1.1.1.1"}]}}""",
        "<none>", "1.1.1.1", "<unknown>", "<unknown>", "foo://1.2.3")]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"addresses": [{"type": "InternalIP", "address": "1.1.1.1"}]}}""",
        "1.1.1.1", "<none>", "<unknown>", "<unknown>", "<unknown>")]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"addresses": [{"type": "ExternalIP", "address": "2.2.2.2"}, {"type": "InternalIP", "address": "3.3.3.3"}, {"type": "ExternalIP", "address": "4.4.4.4"}]}}""",
        "3.3.3.3", "2.2.2.2", "<unknown>", "<unknown>", "<unknown>")]
    [InlineData("""{"metadata": {"name": "foo1"}, "status": {"addresses": [{"type": "InternalIP", "address": "2.2.2.2"}, {"type": "ExternalIP", "address": "3.3.3.3"}, {"type": "InternalIP", "address": "4.4.4.4"}]}}""",
        "2.2.2.2", "3.3.3.3", "<unknown>", "<unknown>", "<unknown>")]
    public void WideColumnsShowAddressesAndNodeInfo(string json, string internalIP, string externalIP, string osImage, string kernel, string runtime) =>
        Assert.Equal(["foo1", "Unknown", "<none>", "<unknown>", "", internalIP, externalIP, osImage, kernel, runtime], Rows.Wide("", "Node", json));

    [Fact]
    public void VersionAndAgeComeFromTheKubeletAndCreationTimestamp() =>
        Assert.Equal(
            ["node-1", "Ready", "control-plane", "2d3h", "v1.32.1"],
            Rows.Narrow("", "Node", """
                {"metadata": {"name": "node-1", "creationTimestamp": "2025-01-13T09:00:00Z", "labels": {"node-role.kubernetes.io/control-plane": ""}},
                 "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.32.1"}}}
                """));
}
