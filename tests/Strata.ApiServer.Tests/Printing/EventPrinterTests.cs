namespace Strata.ApiServer.Tests.Printing;

/// <summary>TestPrintEvent from printers_test.go (its wide cases; the server always prints wide).</summary>
public class EventPrinterTests
{
    public static TheoryData<string, object?[]> Events => new()
    {
        // Columns: Last Seen, Type, Reason, Object, Subobject, Source, Message, First Seen, Count, Name
        {
            """
            {"source": {"component": "kubelet"}, "involvedObject": {"kind": "Pod", "name": "Pod Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "firstTimestamp": "2025-01-12T12:00:00Z", "lastTimestamp": "2025-01-13T12:00:00Z",
                "count": 6, "type": "Normal", "metadata": {"name": "event1"}}
            """,
            ["2d", "Normal", "Event Reason", "pod/Pod Name", "spec.containers{foo}", "kubelet", "Message Data", "3d", 6L, "event1"]
        },
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "firstTimestamp": "2025-01-12T12:00:00Z", "lastTimestamp": "2025-01-13T12:00:00Z",
                "count": 6, "type": "Warning", "metadata": {"name": "event2"}}
            """,
            ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 6L, "event2"]
        },
        // without firstTimestamp: eventTime
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "eventTime": "2025-01-12T12:00:00.000000Z", "lastTimestamp": "2025-01-12T12:00:00Z",
                "count": 1, "type": "Warning", "metadata": {"name": "event3"}}
            """,
            ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 1L, "event3"]
        },
        // without lastTimestamp: the first seen
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "eventTime": "2025-01-12T12:00:00.000000Z", "firstTimestamp": "2025-01-12T12:00:00Z",
                "count": 1, "type": "Warning", "metadata": {"name": "event4"}}
            """,
            ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 1L, "event4"]
        },
        // without either
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "eventTime": "2025-01-12T12:00:00.000000Z",
                "count": 1, "type": "Warning", "metadata": {"name": "event5"}}
            """,
            ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 1L, "event5"]
        },
        // a series: its last observed time and count
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "series": {"count": 2, "lastObservedTime": "2025-01-13T12:00:00.000000Z"},
                "reason": "Event Reason", "message": "Message Data", "eventTime": "2025-01-12T12:00:00.000000Z", "type": "Warning", "metadata": {"name": "event6"}}
            """,
            ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 2L, "event6"]
        },
        // a singleton without a count counts once
        {
            """
            {"source": {"component": "kubelet", "host": "Node1"}, "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "eventTime": "2025-01-12T12:00:00.000000Z", "type": "Warning", "metadata": {"name": "event7"}}
            """,
            ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, Node1", "Message Data", "3d", 1L, "event7"]
        },
        // an empty source: reportingComponent and reportingInstance (ReportingController in Go)
        {
            """
            {"reportingComponent": "kubelet", "reportingInstance": "test", "involvedObject": {"kind": "Deployment", "name": "Deployment Name", "fieldPath": "spec.containers{foo}"},
                "reason": "Event Reason", "message": "Message Data", "firstTimestamp": "2025-01-12T12:00:00Z", "lastTimestamp": "2025-01-13T12:00:00Z",
                "count": 6, "type": "Warning", "metadata": {"name": "event2"}}
            """,
            ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}", "kubelet, test", "Message Data", "3d", 6L, "event2"]
        },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void EventRowsMatchPrintEvent(string json, object?[] expected) =>
        Assert.Equal(expected, Rows.Wide("", "Event", json));

    [Fact]
    public void NarrowColumnsAreLastSeenTypeReasonObjectMessage() =>
        Assert.Equal(
            ["2d", "Normal", "Event Reason", "pod/Pod Name", "Message Data"],
            Rows.Narrow("", "Event", """
                {"source": {"component": "kubelet"}, "involvedObject": {"kind": "Pod", "name": "Pod Name", "fieldPath": "spec.containers{foo}"},
                 "reason": "Event Reason", "message": "  Message Data\n", "firstTimestamp": "2025-01-12T12:00:00Z", "lastTimestamp": "2025-01-13T12:00:00Z",
                 "count": 6, "type": "Normal", "metadata": {"name": "event1"}}
                """));

    [Fact]
    public void EventsK8sIoEventsUseTheSamePrinterThroughTheirRenamedFields() =>
        Assert.Equal(
            ["2d", "Normal", "Scheduled", "pod/web-0", "", "default-scheduler", "Successfully assigned default/web-0", "3d", 6L, "web-0.1"],
            Rows.Wide("events.k8s.io", "Event", """
                {"metadata": {"name": "web-0.1"}, "eventTime": "2025-01-12T12:00:00.000000Z", "reportingController": "default-scheduler",
                 "reason": "Scheduled", "regarding": {"kind": "Pod", "name": "web-0"}, "note": "Successfully assigned default/web-0", "type": "Normal",
                 "deprecatedFirstTimestamp": "2025-01-12T12:00:00Z", "deprecatedLastTimestamp": "2025-01-13T12:00:00Z", "deprecatedCount": 6}
                """));

    [Fact]
    public void AnObjectWithoutANameIsJustItsKind() =>
        Assert.Equal("node", Rows.Wide("", "Event", """{"metadata": {"name": "e"}, "involvedObject": {"kind": "Node"}}""")[3]);
}
