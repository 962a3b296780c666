using System.Text;
using k8s.Models;
using Strata.Agent.Kubelet.Pods;
using Strata.Agent.Runtime;
using Strata.Controllers.Client;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>What a projected volume's files are (pkg/volume/projected collectData), from sources given in memory.</summary>
public sealed class ProjectedVolumesTests
{
    private sealed class Sources : IProjectedSources
    {
        public List<(string Ns, string Account, ServiceAccountTokenRequest Request)> TokenRequests { get; } = [];

        public Task<V1ConfigMap?> GetConfigMapAsync(string ns, string name, CancellationToken cancellationToken) =>
            Task.FromResult(name == "settings" ? new V1ConfigMap { Data = new Dictionary<string, string> { ["b.conf"] = "bee", ["a.conf"] = "ay" } } : null);

        public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken) =>
            Task.FromResult(name == "creds" ? new V1Secret { Data = new Dictionary<string, byte[]> { ["password"] = "hunter2"u8.ToArray() } } : null);

        public Task<ServiceAccountToken> RequestTokenAsync(string ns, string serviceAccount, ServiceAccountTokenRequest request, CancellationToken cancellationToken)
        {
            TokenRequests.Add((ns, serviceAccount, request));
            return serviceAccount == "robot"
                ? Task.FromResult(new ServiceAccountToken("eyJ.token", DateTimeOffset.UnixEpoch))
                : throw new KubeApiException(404, "NotFound", $"serviceaccounts \"{serviceAccount}\" not found");
        }
    }

    private static V1Pod Pod(string account) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "web", NamespaceProperty = "shop", Uid = "uid-1",
            Labels = new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" },
        },
        Spec = new V1PodSpec { ServiceAccountName = account, Containers = [] },
    };

    private static V1Volume Volume(params V1VolumeProjection[] sources) => new() { Name = "all", Projected = new V1ProjectedVolumeSource { DefaultMode = 420, Sources = sources } };

    [Fact]
    public async Task EverySourceBecomesFilesWithTheirModes()
    {
        var sources = new Sources();
        var volume = Volume(
            new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = 3607, Audience = "vault" } },
            new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "settings" } },
            new V1VolumeProjection { Secret = new V1SecretProjection { Name = "creds", Items = [new V1KeyToPath { Key = "password", Path = "secret/pw", Mode = 256 }] } },
            new V1VolumeProjection
            {
                DownwardAPI = new V1DownwardAPIProjection
                {
                    Items =
                    [
                        new V1DownwardAPIVolumeFile { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } },
                        new V1DownwardAPIVolumeFile { Path = "tier", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels['tier']" } },
                    ],
                },
            },
            new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "absent", Optional = true } });
        var files = await ProjectedVolumes.CollectAsync(Pod("robot"), volume, sources, CancellationToken.None);

        Assert.Equal(
            ["token 420 eyJ.token", "a.conf 420 ay", "b.conf 420 bee", "secret/pw 256 hunter2", "labels 420 app=\"web\"\ntier=\"front\"", "tier 420 front"],
            files.Select(f => $"{f.Path} {f.Mode} {Encoding.UTF8.GetString(f.Content)}"));
        var (ns, account, request) = Assert.Single(sources.TokenRequests);
        Assert.Equal(("shop", "robot"), (ns, account));
        Assert.Equal(new[] { "vault" }, request.Audiences);
        Assert.Equal((3607L, "web", "uid-1"), (request.ExpirationSeconds, request.PodName, request.PodUid));
    }

    [Fact]
    public async Task WhatCannotBeReadIsAFailedMountNamingIt()
    {
        async Task<string> Failure(V1Pod pod, V1VolumeProjection source) =>
            (await Assert.ThrowsAsync<VolumeMountException>(() => ProjectedVolumes.CollectAsync(pod, Volume(source), new Sources(), CancellationToken.None))).Message;

        Assert.Equal("MountVolume.SetUp failed for volume \"all\" : configmap \"absent\" not found",
            await Failure(Pod("robot"), new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "absent" } }));
        Assert.Equal("MountVolume.SetUp failed for volume \"all\" : configmap settings references non-existent config key: ca.crt",
            await Failure(Pod("robot"), new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "settings", Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } }));
        Assert.Equal("MountVolume.SetUp failed for volume \"all\" : failed to fetch token: serviceaccounts \"default\" not found",
            await Failure(Pod("default"), new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token" } }));
        Assert.Equal("MountVolume.SetUp failed for volume \"all\" : downwardAPI item \"ip\": unsupported fieldPath \"status.podIP\"",
            await Failure(Pod("robot"), new V1VolumeProjection { DownwardAPI = new V1DownwardAPIProjection { Items = [new V1DownwardAPIVolumeFile { Path = "ip", FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } }] } }));
        Assert.Equal("MountVolume.SetUp failed for volume \"all\" : path \"../escape\" must be relative and may not contain '..'",
            await Failure(Pod("robot"), new V1VolumeProjection { Secret = new V1SecretProjection { Name = "creds", Items = [new V1KeyToPath { Key = "password", Path = "../escape" }] } }));
    }
}
