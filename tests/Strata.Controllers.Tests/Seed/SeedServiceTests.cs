using System.Text.RegularExpressions;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Seed;

/// <summary>
/// The seed's Service section end to end, through the real kubectl and every hosted controller: Deployment →
/// ReplicaSet → pods, the scheduler spreading them over three nodes with node IPAM's podCIDRs, and Endpoints and
/// EndpointSlices following the pods' readiness. A simulated kubelet reports the pods running (issue #7 runs them).
/// </summary>
public sealed partial class SeedServiceTests
{
    private static readonly string Manifest = Path.Combine(AppContext.BaseDirectory, "Seed", "testdata", "nginx.yaml");

    [KubectlFact]
    public async Task The_nginx_deployment_is_spread_over_three_nodes_and_its_endpoints_follow_scale_and_readiness()
    {
        await using var plane = await ControlPlane.StartAsync("*");
        await plane.AddNodeAsync("node1", "172.19.0.8");
        await plane.AddNodeAsync("node2", "172.19.0.13");
        await plane.AddNodeAsync("node3", "172.19.0.15");
        await using var kubelet = new KubeletSimulator(plane.Client);

        plane.KubectlOk("apply", "-f", Manifest);
        var rollout = plane.Kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=60s");
        Assert.True(rollout.ExitCode == 0, rollout.Stderr);
        Assert.Contains("deployment \"nginx-deployment\" successfully rolled out", rollout.Stdout);

        // One pod per node, each with an IP from its node's podCIDR (10.233.64.0/24, .65.0/24, .66.0/24).
        var pods = await ControlPlane.EventuallyAsync(() => plane.ListAsync<V1Pod>("default", "app=nginx"),
            p => p.Count == 3 && p.All(x => x.Status?.PodIP is not null), "three running nginx pods");
        Assert.Equal(["node1", "node2", "node3"], pods.Select(p => p.Spec.NodeName).Order(StringComparer.Ordinal));
        foreach (var pod in pods)
        {
            var node = await plane.Client.GetAsync<V1Node>(null, pod.Spec.NodeName);
            Assert.StartsWith(node!.Spec.PodCIDR[..node.Spec.PodCIDR.LastIndexOf('.')] + ".", pod.Status.PodIP);
        }

        var wide = plane.KubectlOk("get", "pods", "-o", "wide");
        Assert.Matches(@"nginx-deployment-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s+0\s+\S+\s+10\.233\.6[4-6]\.\d+\s+node[123]", wide);

        var ips = pods.Select(p => $"{p.Status.PodIP}:80").Order(StringComparer.Ordinal).ToList();
        await EndpointsAsync(plane, "nginx-service", ips);
        await EndpointsAsync(plane, "nginx-headless", ips);
        var slices = plane.KubectlOk("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx-service");
        Assert.Matches(@"nginx-service-[a-z0-9]{5}\s+IPv4\s+80\s+10\.233\.", slices);

        // Scale out and back, as the seed's readers do with kubectl.
        plane.KubectlOk("scale", "deployment/nginx-deployment", "--replicas=5");
        await EndpointCountAsync(plane, "nginx-service", 5);
        plane.KubectlOk("scale", "deployment/nginx-deployment", "--replicas=3");
        await EndpointCountAsync(plane, "nginx-service", 3);

        // A pod whose readiness probe fails leaves the Service's ready endpoints.
        pods = await plane.ListAsync<V1Pod>("default", "app=nginx");
        var failing = pods.First(p => p.Metadata.DeletionTimestamp is null);
        kubelet.SetReady("default", failing.Metadata.Name, false);
        await EndpointCountAsync(plane, "nginx-service", 2);
        var endpoints = await plane.Client.GetAsync<V1Endpoints>("default", "nginx-service");
        Assert.Contains(endpoints!.Subsets.SelectMany(s => s.NotReadyAddresses ?? []), a => a.Ip == failing.Status.PodIP);
        kubelet.SetReady("default", failing.Metadata.Name, true);
        await EndpointCountAsync(plane, "nginx-service", 3);
    }

    [KubectlFact]
    public async Task The_seed_nodeport_service_keeps_its_port_and_an_unnamed_one_gets_a_port_in_range()
    {
        await using var plane = await ControlPlane.StartAsync("*");
        plane.KubectlOk("apply", "-f", Manifest);
        var svc = plane.KubectlOk("get", "svc", "hello-world");
        Assert.Matches(@"hello-world\s+NodePort\s+10\.233\.\d+\.\d+\s+<none>\s+8080:30036/TCP", svc);

        plane.KubectlOk("create", "service", "nodeport", "auto", "--tcp=80:80");
        var auto = await plane.Client.GetAsync<V1Service>("default", "auto");
        Assert.InRange(auto!.Spec.Ports[0].NodePort!.Value, 30000, 32767);
        var clash = plane.Kubectl("create", "service", "nodeport", "clash", "--tcp=80:80", "--node-port=30036");
        Assert.NotEqual(0, clash.ExitCode);
        Assert.Contains("provided port is already allocated", clash.Stderr);
    }

    private static async Task EndpointsAsync(ControlPlane plane, string service, IReadOnlyList<string> expected)
    {
        // kubectl prints the ready addresses of each subset joined by commas (pkg/printers/internalversion formatEndpoints).
        await ControlPlane.EventuallyAsync(() =>
        {
            var line = plane.KubectlOk("get", "endpoints", service).Split('\n')[1];
            var listed = EndpointList().Match(line).Groups[1].Value.Split(',').Order(StringComparer.Ordinal);
            return Task.FromResult(listed.SequenceEqual(expected));
        }, $"kubectl get endpoints {service} to list {string.Join(',', expected)}");
    }

    private static Task EndpointCountAsync(ControlPlane plane, string service, int ready) =>
        ControlPlane.EventuallyAsync(async () =>
        {
            var endpoints = await plane.Client.GetAsync<V1Endpoints>("default", service);
            var slices = await plane.ListAsync<V1EndpointSlice>("default", $"kubernetes.io/service-name={service}");
            var readyInSlices = slices.SelectMany(s => s.Endpoints ?? []).Count(e => e.Conditions?.Ready == true);
            var readyInEndpoints = endpoints?.Subsets?.Sum(s => s.Addresses?.Count ?? 0) ?? 0;
            return readyInSlices == ready && readyInEndpoints == ready;
        }, $"{ready} ready endpoints of {service} in both Endpoints and EndpointSlices", TimeSpan.FromSeconds(30));

    [GeneratedRegex(@"^\S+\s+(\S+)")]
    private static partial Regex EndpointList();
}
