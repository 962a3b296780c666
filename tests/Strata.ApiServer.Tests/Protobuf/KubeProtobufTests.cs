using System.Text;
using System.Text.Json.Nodes;
using Strata.ApiServer.Protobuf;

namespace Strata.ApiServer.Tests.Protobuf;

/// <summary>The special types, Go's JSON rules and the wire format, on hand-made objects and bytes.</summary>
public sealed class KubeProtobufTests
{
    [Fact]
    public void EnvelopeIsMagicThenUnknown()
    {
        var body = KubeProtobuf.Encode(Obj("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}"""));

        // From the kubectl capture testdata/kubectl/namespace/request.pb.
        Assert.Equal(
            "6B3873000A0F0A02763112094E616D65737061636512190A110A01781200" +
            "1A0022002A0032003800420012001A020A001A002200",
            Convert.ToHexString(body));
    }

    [Fact]
    public void RejectsBodiesWithoutTheMagic()
    {
        var e = Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Decode("{\"kind\":\"Pod\"}"u8));
        Assert.Contains("expected prefix", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsUnknownKinds()
    {
        var body = Envelope("v1", "NoSuchKind", []);
        Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Decode(body));
        Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Encode(Obj("""{"apiVersion":"example.invalid/v1","kind":"Widget"}""")));
        Assert.False(KubeProtobuf.IsSupported("apps/v1", "Pod"));
        Assert.True(KubeProtobuf.IsSupported("apps/v1", "Deployment"));
        Assert.True(KubeProtobuf.IsSupported("coordination.k8s.io/v1", "Lease"));
        Assert.True(KubeProtobuf.IsSupported("discovery.k8s.io/v1", "EndpointSlice"));
        Assert.True(KubeProtobuf.IsSupported("apiextensions.k8s.io/v1", "CustomResourceDefinition"));
        Assert.True(KubeProtobuf.IsSupported("autoscaling/v1", "Scale"));
    }

    [Fact]
    public void RejectsTruncatedData()
    {
        var body = KubeProtobuf.Encode(Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}"""));
        Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Decode(body.AsSpan(0, body.Length - 9)));
    }

    [Fact]
    public void MetaKindsAreAcceptedUnderAnyGroupVersion()
    {
        var status = Obj("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"gone","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}""");

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(status));

        Assert.Equal(status.ToJsonString(), decoded.ToJsonString());
    }

    [Fact]
    public void AbsentFieldsFollowGoJsonRules()
    {
        // An empty EndpointSlice: addressType, endpoints and ports have no omitempty, so Go prints the
        // empty string and null slices; metadata is a struct, printed with its null creationTimestamp.
        var decoded = KubeProtobuf.Decode(Envelope("discovery.k8s.io/v1", "EndpointSlice", []));

        Assert.Equal(
            """{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"creationTimestamp":null},"addressType":"","endpoints":null,"ports":null}""",
            decoded.ToJsonString());
    }

    [Fact]
    public void PointerFieldsKeepZeroValuesAndValueFieldsDropThem()
    {
        var lease = Obj("""
            {"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"n","namespace":"kube-node-lease","creationTimestamp":null},
             "spec":{"holderIdentity":"","leaseDurationSeconds":0,"acquireTime":"2024-01-02T03:04:05.123456Z","renewTime":"2024-01-02T03:04:06.000000Z","leaseTransitions":0}}
            """);

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(lease));

        Assert.Equal(lease.ToJsonString(), decoded.ToJsonString());
    }

    [Fact]
    public void MicroTimeKeepsMicrosecondsAndTimeKeepsSeconds()
    {
        // Lease.spec.acquireTime (MicroTime, field 3) and ObjectMeta.creationTimestamp (Time, field 8),
        // both with 123456789 ns on the wire.
        var timestamp = Message(w => { Varint(w, 1, 1704164645); Varint(w, 2, 123456789); });
        var spec = Message(w => w.WriteBytes(3, timestamp));
        var metadata = Message(w => w.WriteBytes(8, timestamp));
        var lease = Message(w => { w.WriteBytes(1, metadata); w.WriteBytes(2, spec); });

        var decoded = KubeProtobuf.Decode(Envelope("coordination.k8s.io/v1", "Lease", lease));

        Assert.Equal("2024-01-02T03:04:05Z", (string?)decoded["metadata"]!["creationTimestamp"]);
        Assert.Equal("2024-01-02T03:04:05.123456Z", (string?)decoded["spec"]!["acquireTime"]);
    }

    [Fact]
    public void ZeroTimeIsNullAndEmptyTimestampIsTheEpoch()
    {
        var zero = Message(w => w.WriteBytes(8, []));
        var epoch = Message(w => w.WriteBytes(8, Message(w => Varint(w, 1, 0))));

        Assert.Null(KubeProtobuf.Decode(Envelope("v1", "Namespace", Message(w => w.WriteBytes(1, zero))))["metadata"]!["creationTimestamp"]);
        Assert.Equal("1970-01-01T00:00:00Z",
            (string?)KubeProtobuf.Decode(Envelope("v1", "Namespace", Message(w => w.WriteBytes(1, epoch))))["metadata"]!["creationTimestamp"]);
    }

    [Fact]
    public void IntOrStringIsANumberOrAString()
    {
        var service = Obj("""
            {"kind":"Service","apiVersion":"v1","metadata":{"creationTimestamp":null},
             "spec":{"ports":[{"port":80,"targetPort":-1},{"port":81,"targetPort":"http"},{"port":82,"targetPort":0}]},"status":{"loadBalancer":{}}}
            """);

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(service));

        Assert.Equal(service.ToJsonString(), decoded.ToJsonString());
    }

    [Fact]
    public void QuantitiesAreStringsAndAnEmptyOneIsZero()
    {
        // ResourceQuota.spec.hard{"pods": <empty Quantity message>}.
        var entry = Message(w => { w.WriteBytes(1, "pods"u8); w.WriteBytes(2, []); });
        var spec = Message(w => w.WriteBytes(1, entry));
        var decoded = KubeProtobuf.Decode(Envelope("v1", "ResourceQuota", Message(w => w.WriteBytes(2, spec))));

        Assert.Equal("0", (string?)decoded["spec"]!["hard"]!["pods"]);

        var quota = Obj("""{"apiVersion":"v1","kind":"ResourceQuota","spec":{"hard":{"cpu":2,"memory":"1Gi"}}}""");
        var again = KubeProtobuf.Decode(KubeProtobuf.Encode(quota));
        Assert.Equal("""{"cpu":"2","memory":"1Gi"}""", again["spec"]!["hard"]!.ToJsonString());
    }

    [Fact]
    public void SecretBytesAreBase64AndMapsAreSorted()
    {
        var secret = Obj("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"b":"AAEC","a":"","\u00e9":"/w=="},"stringData":{"z":"1"},"type":"Opaque","immutable":false}""");

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(secret));

        Assert.Equal(
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"immutable":false,"data":{"a":"","b":"AAEC","\u00E9":"/w=="},"stringData":{"z":"1"},"type":"Opaque"}""",
            decoded.ToJsonString());
    }

    [Fact]
    public void PackedRepeatedScalarsAndUnknownFieldsAreRead()
    {
        // Pod.spec.securityContext.supplementalGroups (field 4, repeated int64) packed, plus field 999
        // that no schema knows.
        var securityContext = Message(w =>
        {
            w.WriteBytes(4, Message(p => { p.WriteVarint(1); p.WriteVarint(300); }));
            Varint(w, 999, 7);
        });
        var spec = Message(w => w.WriteBytes(14, securityContext));
        var decoded = KubeProtobuf.Decode(Envelope("v1", "Pod", Message(w => w.WriteBytes(2, spec))));

        Assert.Equal("[1,300]", decoded["spec"]!["securityContext"]!["supplementalGroups"]!.ToJsonString());
    }

    [Fact]
    public void WrongWireTypeIsAnError()
    {
        // ObjectMeta.name (field 1, string) sent as a varint.
        var metadata = Message(w => Varint(w, 1, 5));
        Assert.Throws<KubeProtobufException>(() => KubeProtobuf.Decode(Envelope("v1", "Namespace", Message(w => w.WriteBytes(1, metadata)))));
    }

    [Fact]
    public void ManagedFieldsKeepTheirRawJson()
    {
        var ns = Obj("""
            {"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x","creationTimestamp":"2024-01-01T00:00:00Z",
              "managedFields":[{"manager":"m","operation":"Apply","apiVersion":"v1","time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:a":{}}}}}]},
             "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}
            """);

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(ns));

        Assert.Equal(ns.ToJsonString(), decoded.ToJsonString());
    }

    [Fact]
    public void EmptyVerbsStayAnEmptyArray()
    {
        var list = Obj("""
            {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1",
             "resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"]},
                          {"name":"bindings","singularName":"","namespaced":true,"kind":"Binding","verbs":[]}]}
            """);

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(list));

        Assert.Equal(list.ToJsonString(), decoded.ToJsonString());
    }

    [Fact]
    public void CustomResourceDefinitionSchemasRoundTrip()
    {
        var crd = Obj("""
            {"kind":"CustomResourceDefinition","apiVersion":"apiextensions.k8s.io/v1","metadata":{"name":"widgets.example.invalid","creationTimestamp":null},
             "spec":{"group":"example.invalid","names":{"plural":"widgets","singular":"widget","shortNames":["wd"],"kind":"Widget","listKind":"WidgetList"},"scope":"Namespaced",
              "versions":[{"name":"v1","served":true,"storage":true,
                "schema":{"openAPIV3Schema":{"type":"object","required":["spec"],
                  "properties":{
                    "spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true,
                      "properties":{"size":{"type":"integer","default":3,"minimum":1,"maximum":10.5},
                                    "mode":{"type":"string","enum":["a","b",null]},
                                    "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
                                    "tags":{"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"set"},
                                    "labels":{"type":"object","additionalProperties":{"type":"string"}},
                                    "closed":{"type":"object","additionalProperties":false},
                                    "meta":{"type":"object","default":{"a":[1,"x"]},"x-kubernetes-embedded-resource":true}},
                      "dependencies":{"size":["mode"]},
                      "x-kubernetes-validations":[{"rule":"self.size < 100","message":"too big"}]},
                    "status":{"type":"object","nullable":true}}}},
                "subresources":{"status":{},"scale":{"specReplicasPath":".spec.size","statusReplicasPath":".status.size"}},
                "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"}]}],
              "conversion":{"strategy":"None"}},
             "status":{"conditions":[{"type":"Established","status":"True","lastTransitionTime":"2024-01-01T00:00:00Z","reason":"InitialNamesAccepted","message":"ok"}],
              "acceptedNames":{"plural":"widgets","kind":"Widget"},"storedVersions":["v1"]}}
            """);

        var decoded = KubeProtobuf.Decode(KubeProtobuf.Encode(crd));

        // The input is not in Go's field order (properties come sorted, preserve-unknown-fields late).
        Assert.True(JsonNode.DeepEquals(crd, decoded), decoded.ToJsonString());
        Assert.Equal(decoded.ToJsonString(), KubeProtobuf.Decode(KubeProtobuf.Encode(decoded)).ToJsonString());
        var spec = decoded["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        Assert.Equal("""{"type":"string"}""", spec["properties"]!["labels"]!["additionalProperties"]!.ToJsonString());
        Assert.Equal("false", spec["properties"]!["closed"]!["additionalProperties"]!.ToJsonString());
        Assert.Equal("""["a","b",null]""", spec["properties"]!["mode"]!["enum"]!.ToJsonString());
        Assert.Equal("""{"size":["mode"]}""", spec["dependencies"]!.ToJsonString());
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5\u00b5s")]
    [InlineData(1_500_000L, "1.5ms")]
    [InlineData(1_000_000_000L, "1s")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(3_723_500_000_000L, "1h2m3.5s")]
    [InlineData(-1_500_000_000L, "-1.5s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void DurationsPrintAsGo(long nanoseconds, string text)
    {
        Assert.Equal(text, GoFormats.FormatDuration(nanoseconds));
        Assert.Equal(nanoseconds, GoFormats.ParseDuration(text));
    }

    [Theory]
    [InlineData("1h30m", 5_400_000_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("+2us", 2_000L)]
    [InlineData(".5s", 500_000_000L)]
    public void DurationsParseAsGo(string text, long nanoseconds) => Assert.Equal(nanoseconds, GoFormats.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1d")]
    public void BadDurationsAreRejected(string text) => Assert.Throws<KubeProtobufException>(() => GoFormats.ParseDuration(text));

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    private static byte[] Message(Action<ProtoWriter> write)
    {
        var w = new ProtoWriter();
        write(w);
        return w.ToArray();
    }

    private static void Varint(ProtoWriter w, int number, ulong value)
    {
        w.WriteTag(number, WireType.Varint);
        w.WriteVarint(value);
    }

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw)
    {
        var typeMeta = Message(w => { w.WriteBytes(1, Encoding.UTF8.GetBytes(apiVersion)); w.WriteBytes(2, Encoding.UTF8.GetBytes(kind)); });
        return [.. "k8s\0"u8, .. Message(w => { w.WriteBytes(1, typeMeta); w.WriteBytes(2, raw); })];
    }
}
