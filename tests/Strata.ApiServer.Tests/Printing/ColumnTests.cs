using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

/// <summary>
/// The column definitions of AddHandlers in pkg/printers/internalversion/printers.go (v1.32), written as
/// <c>Name:type:priority</c>, with <c>*</c> marking the <c>name</c> format.
/// </summary>
public class ColumnTests
{
    [Theory]
    [InlineData("", "Pod", "Name*:string:0|Ready:string:0|Status:string:0|Restarts:string:0|Age:string:0|IP:string:1|Node:string:1|Nominated Node:string:1|Readiness Gates:string:1")]
    [InlineData("", "Node", "Name*:string:0|Status:string:0|Roles:string:0|Age:string:0|Version:string:0|Internal-IP:string:1|External-IP:string:1|OS-Image:string:1|Kernel-Version:string:1|Container-Runtime:string:1")]
    [InlineData("", "Namespace", "Name*:string:0|Status:string:0|Age:string:0")]
    [InlineData("", "Service", "Name*:string:0|Type:string:0|Cluster-IP:string:0|External-IP:string:0|Port(s):string:0|Age:string:0|Selector:string:1")]
    [InlineData("", "Endpoints", "Name*:string:0|Endpoints:string:0|Age:string:0")]
    [InlineData("discovery.k8s.io", "EndpointSlice", "Name*:string:0|AddressType:string:0|Ports:string:0|Endpoints:string:0|Age:string:0")]
    [InlineData("", "Secret", "Name*:string:0|Type:string:0|Data:string:0|Age:string:0")]
    [InlineData("", "ConfigMap", "Name*:string:0|Data:string:0|Age:string:0")]
    [InlineData("", "ServiceAccount", "Name*:string:0|Secrets:string:0|Age:string:0")]
    [InlineData("", "Event", "Last Seen:string:0|Type:string:0|Reason:string:0|Object:string:0|Subobject:string:1|Source:string:1|Message:string:0|First Seen:string:1|Count:string:1|Name*:string:1")]
    [InlineData("events.k8s.io", "Event", "Last Seen:string:0|Type:string:0|Reason:string:0|Object:string:0|Subobject:string:1|Source:string:1|Message:string:0|First Seen:string:1|Count:string:1|Name*:string:1")]
    [InlineData("apps", "Deployment", "Name*:string:0|Ready:string:0|Up-to-date:string:0|Available:string:0|Age:string:0|Containers:string:1|Images:string:1|Selector:string:1")]
    [InlineData("apps", "ReplicaSet", "Name*:string:0|Desired:integer:0|Current:integer:0|Ready:integer:0|Age:string:0|Containers:string:1|Images:string:1|Selector:string:1")]
    [InlineData("apps", "DaemonSet", "Name*:string:0|Desired:integer:0|Current:integer:0|Ready:integer:0|Up-to-date:integer:0|Available:integer:0|Node Selector:string:0|Age:string:0|Containers:string:1|Images:string:1|Selector:string:1")]
    [InlineData("apps", "StatefulSet", "Name*:string:0|Ready:string:0|Age:string:0|Containers:string:1|Images:string:1")]
    [InlineData("networking.k8s.io", "Ingress", "Name*:string:0|Class:string:0|Hosts:string:0|Address:string:0|Ports:string:0|Age:string:0")]
    [InlineData("networking.k8s.io", "IngressClass", "Name*:string:0|Controller:string:0|Parameters:string:0|Age:string:0")]
    [InlineData("networking.k8s.io", "NetworkPolicy", "Name*:string:0|Pod-Selector:string:0|Age:string:0")]
    [InlineData("coordination.k8s.io", "Lease", "Name*:string:0|Holder:string:0|Age:string:0")]
    // kube-apiserver's default TableConvertor, for CRDs and for every kind without a printer.
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition", "Name*:string:0|Created At:date:0")]
    [InlineData("example.com", "Widget", "Name*:string:0|Created At:date:0")]
    [InlineData("", "PodTemplate", "Name*:string:0|Created At:date:0")]
    [InlineData("extensions", "Ingress", "Name*:string:0|Created At:date:0")]
    public void ColumnsMatchAddHandlers(string group, string kind, string expected)
    {
        var columns = TablePrinters.For(group, kind).Columns;
        var actual = string.Join("|", columns.Select(c => $"{c.Name}{(c.Format == "name" ? "*" : "")}:{c.Type}:{c.Priority}"));
        Assert.Equal(expected, actual);
        Assert.All(columns, c => Assert.NotEmpty(c.Description));
        Assert.All(columns, c => Assert.True(c.Format is "" or "name", c.Format));
    }

    [Theory]
    [InlineData("", "Pod", "Ready", "The aggregate readiness state of this pod for accepting traffic.")]
    [InlineData("", "Pod", "IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.")]
    [InlineData("", "Node", "Version", "Kubelet Version reported by the node.")]
    [InlineData("", "Node", "Status", "The status of the node")]
    [InlineData("", "Event", "Count", "The number of times this event has occurred.")]
    [InlineData("apps", "DaemonSet", "Up-to-date", "The total number of nodes that are running updated daemon pod")]
    [InlineData("apps", "Deployment", "Ready", "Number of the pod with ready state")]
    [InlineData("networking.k8s.io", "Ingress", "Ports", "Ports of TLS configurations that open")]
    public void DescriptionsAreUpstreams(string group, string kind, string column, string description) =>
        Assert.Equal(description, TablePrinters.For(group, kind).Columns.Single(c => c.Name == column).Description);

    [Fact]
    public void NameAndAgeDescriptionsAreObjectMetasSwaggerDocs()
    {
        var columns = TablePrinters.For("", "Pod").Columns;
        Assert.StartsWith("Name must be unique within a namespace.", columns[0].Description, StringComparison.Ordinal);
        Assert.StartsWith("CreationTimestamp is a timestamp representing the server time when this object was created.", columns[4].Description, StringComparison.Ordinal);
        Assert.Equal(columns[4].Description, TablePrinters.Default.Columns[1].Description);
    }

    [Fact]
    public void UnknownKindsGetTheDefaultTable()
    {
        Assert.Same(TablePrinters.Default, TablePrinters.For("example.com", "Widget"));
        Assert.True(TablePrinters.Default.IsDefault);
        Assert.False(TablePrinters.For("", "Pod").IsDefault);
    }

    [Theory]
    [InlineData("""{"metadata": {"name": "widgets.example.com", "creationTimestamp": "2025-01-10T08:00:00Z"}}""", "widgets.example.com", "2025-01-10T08:00:00Z")]
    [InlineData("""{"metadata": {"name": "x", "creationTimestamp": "2025-01-10T08:00:00.5-05:00"}}""", "x", "2025-01-10T13:00:00Z")]
    [InlineData("""{"metadata": {"name": "y"}}""", "y", "0001-01-01T00:00:00Z")]
    public void DefaultCellsAreNameAndRfc3339CreationTimeInUtc(string json, string name, string created) =>
        Assert.Equal([name, created], Rows.Wide("apiextensions.k8s.io", "CustomResourceDefinition", json));

    [Fact]
    public void EveryPrinterProducesOneCellPerColumnForAnEmptyObject()
    {
        foreach (var (group, kind) in new[]
        {
            ("", "Pod"), ("", "Node"), ("", "Namespace"), ("", "Service"), ("", "Endpoints"), ("", "Secret"), ("", "ConfigMap"),
            ("", "ServiceAccount"), ("", "Event"), ("events.k8s.io", "Event"), ("discovery.k8s.io", "EndpointSlice"),
            ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"), ("apps", "StatefulSet"),
            ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "NetworkPolicy"),
            ("coordination.k8s.io", "Lease"), ("x", "Y"),
        })
        {
            var printer = TablePrinters.For(group, kind);
            Assert.Equal(printer.Columns.Count, printer.Cells([], Rows.Now).Count);
        }
    }
}
