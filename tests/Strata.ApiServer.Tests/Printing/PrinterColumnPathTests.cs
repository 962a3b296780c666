using System.Text.Json.Nodes;
using Strata.ApiServer.Printing;

namespace Strata.ApiServer.Tests.Printing;

public class PrinterColumnPathTests
{
    private static readonly JsonNode Gateway = JsonNode.Parse("""
        {"spec":{"gatewayClassName":"strata","listeners":[{"name":"http","port":80},{"name":"https","port":443}]},
         "status":{"addresses":[{"type":"IPAddress","value":"10.233.64.9"},{"type":"IPAddress","value":"10.233.65.9"}],
                   "conditions":[{"type":"Accepted","status":"True"},{"type":"Programmed","status":"False","observedGeneration":2}]}}
        """)!;

    [Theory]
    [InlineData(".spec.gatewayClassName", "\"strata\"")]
    [InlineData("{.spec.gatewayClassName}", "\"strata\"")]
    [InlineData(".spec.listeners[1].port", "443")]
    [InlineData(".spec.listeners[-1].name", "\"https\"")]
    [InlineData(".status.addresses[*].value", "\"10.233.64.9\"")]
    [InlineData(".status.conditions[?(@.type==\"Programmed\")].status", "\"False\"")]
    [InlineData(".status.conditions[?(@.type=='Accepted')].status", "\"True\"")]
    [InlineData(".status.conditions[?(@.type!=\"Accepted\")].type", "\"Programmed\"")]
    [InlineData(".status.conditions[?(@.observedGeneration==2)].type", "\"Programmed\"")]
    [InlineData(".spec['gatewayClassName']", "\"strata\"")]
    public void SelectsTheFirstResultAsUpstreamsTableConvertorDoes(string path, string expected) =>
        Assert.Equal(expected, PrinterColumnPath.Parse(path).First(Gateway)?.ToJsonString());

    [Theory]
    [InlineData(".status.conditions[?(@.type==\"Missing\")].status")]
    [InlineData(".spec.listeners[7].port")]
    [InlineData(".spec.nothing.deeper")]
    [InlineData(".spec.listeners[")]
    [InlineData("spec..name")]
    [InlineData(".status.conditions[?(@.type=~/x/)]")]
    [InlineData("")]
    public void AMissingValueOrAPathOutsideTheSubsetGivesAnEmptyCell(string path) =>
        Assert.Null(PrinterColumnPath.Parse(path).First(Gateway));
}
