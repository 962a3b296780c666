using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.ApiServer.Admission;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Admission;

/// <summary>The ServiceAccount admission plugin: the default account and the kube-api-access volume, as upstream's admission.go adds them.</summary>
public sealed partial class ServiceAccountAdmissionTests
{
    [Fact]
    public void TheTokenVolumeIsAddedAndMountedWhereNothingIsMountedYet()
    {
        var spec = JsonNode.Parse("""
            {"initContainers":[{"name":"init","image":"busybox"}],
             "containers":[
               {"name":"app","image":"nginx","volumeMounts":[{"name":"data","mountPath":"/data"}]},
               {"name":"own","image":"busybox","volumeMounts":[{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],
             "volumes":[{"name":"data","emptyDir":{}},{"name":"mine","emptyDir":{}}]}
            """)!.AsObject();
        ServiceAccountAdmission.Mount(spec, () => "x7b2q");
        var expected = JsonNode.Parse("""
            {"initContainers":[{"name":"init","image":"busybox","volumeMounts":[
                {"name":"kube-api-access-x7b2q","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],
             "containers":[
               {"name":"app","image":"nginx","volumeMounts":[{"name":"data","mountPath":"/data"},
                 {"name":"kube-api-access-x7b2q","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]},
               {"name":"own","image":"busybox","volumeMounts":[{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],
             "volumes":[{"name":"data","emptyDir":{}},{"name":"mine","emptyDir":{}},
               {"name":"kube-api-access-x7b2q","projected":{"sources":[
                 {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
                 {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
                 {"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"},"path":"namespace"}]}}],
                 "defaultMode":420}}]}
            """);
        Assert.Equal(expected!.ToJsonString(), spec.ToJsonString());

        // Again (an existing kube-api-access volume is reused, not doubled), and a taken name is not reused.
        ServiceAccountAdmission.Mount(spec, () => "other");
        Assert.Equal(expected.ToJsonString(), spec.ToJsonString());
        var taken = JsonNode.Parse("""{"containers":[{"name":"c"}],"volumes":[{"name":"kube-api-access","emptyDir":{}}]}""")!.AsObject();
        var suffixes = new Queue<string>(["aaaaa", "bbbbb"]);
        ServiceAccountAdmission.Mount(taken, suffixes.Dequeue);
        Assert.Equal("kube-api-access-aaaaa", (string?)taken["volumes"]![1]!["name"]);
    }

    [Fact]
    public async Task PodsGetTheDefaultAccountAndTheVolumeUnlessAutomountIsOff()
    {
        await using var api = await TestApiServer.StartAsync(new ApiServerOptions { ServiceAccountAdmission = true });
        var (_, pod) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods",
            JsonNode.Parse("""{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}"""));
        Assert.Equal("default", (string?)pod["spec"]!["serviceAccountName"]);
        Assert.Equal("default", (string?)pod["spec"]!["serviceAccount"]);
        var volume = (string)pod["spec"]!["volumes"]![0]!["name"]!;
        Assert.Matches(VolumeName(), volume);
        Assert.Equal(volume, (string?)pod["spec"]!["containers"]![0]!["volumeMounts"]![0]!["name"]);
        Assert.Equal(true, (bool?)pod["spec"]!["containers"]![0]!["volumeMounts"]![0]!["readOnly"]);

        var (_, off) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods",
            JsonNode.Parse("""{"metadata":{"name":"off"},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"nginx"}]}}"""));
        Assert.Null(off["spec"]!["volumes"]);

        // The account's own setting counts when the pod has none; the pod's wins over it.
        await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts", JsonNode.Parse("""{"metadata":{"name":"quiet"},"automountServiceAccountToken":false}"""));
        var (_, quiet) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods",
            JsonNode.Parse("""{"metadata":{"name":"quiet"},"spec":{"serviceAccountName":"quiet","containers":[{"name":"c","image":"nginx"}]}}"""));
        Assert.Null(quiet["spec"]!["volumes"]);
        var (_, loud) = await api.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods",
            JsonNode.Parse("""{"metadata":{"name":"loud"},"spec":{"serviceAccountName":"quiet","automountServiceAccountToken":true,"containers":[{"name":"c","image":"nginx"}]}}"""));
        Assert.Matches(VolumeName(), (string)loud["spec"]!["volumes"]![0]!["name"]!);
    }

    [GeneratedRegex("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$")]
    private static partial Regex VolumeName();
}
