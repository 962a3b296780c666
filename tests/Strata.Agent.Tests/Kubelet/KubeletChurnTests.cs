using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Kubelet;

/// <summary>Many pods created and deleted at once: every one runs, and afterwards nothing of them is left.</summary>
public sealed class KubeletChurnTests
{
    private const int Pods = 30;

    [KubeletFact]
    public async Task CreateAndDeleteManyPodsLeavesNothing()
    {
        await using var h = await KubeletHarness.StartAsync();
        h.WriteConflist();
        h.StartKubelet();
        var netnsBefore = Strata.Netlink.NetworkNamespace.List().Where(n => n.StartsWith("cni-", StringComparison.Ordinal)).ToHashSet();
        for (int round = 0; round < 2; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, Pods).Select(i =>
                h.CreatePodAsync(KubeletHarness.Pod($"churn-{round}-{i}", KubeletHarness.Container("main", "sleep", "3600")))));
            await ControlPlane.EventuallyAsync(
                async () => (await h.Plane.Client.ListAsync<V1Pod>(new Strata.Controllers.Client.ListRequest("default"))).Items.Count(p => p.Status?.Phase == "Running" && p.Status.PodIP is not null),
                running => running == Pods, $"{Pods} pods running (round {round})", TimeSpan.FromSeconds(90));
            var ips = (await h.Plane.Client.ListAsync<V1Pod>(new Strata.Controllers.Client.ListRequest("default"))).Items.Select(p => p.Status.PodIP).ToList();
            Assert.Equal(Pods, ips.Distinct().Count());

            await Task.WhenAll(Enumerable.Range(0, Pods).Select(i =>
                h.Plane.Client.DeleteAsync<V1Pod>("default", $"churn-{round}-{i}", new Strata.Controllers.Client.DeleteRequest(GracePeriodSeconds: 1))));
            await ControlPlane.EventuallyAsync(
                async () => (await h.Plane.Client.ListAsync<V1Pod>(new Strata.Controllers.Client.ListRequest("default"))).Items.Count,
                count => count == 0, $"every pod deleted (round {round})", TimeSpan.FromSeconds(90));
        }

        Assert.Empty(Strata.Netlink.NetworkNamespace.List().Where(n => n.StartsWith("cni-", StringComparison.Ordinal)).Except(netnsBefore));
        Assert.Empty(Directory.Exists(Path.Combine(h.IpamDirectory, "strata-t"))
            ? Directory.EnumerateFiles(Path.Combine(h.IpamDirectory, "strata-t")).Where(f => !Path.GetFileName(f).StartsWith("last_reserved_ip", StringComparison.Ordinal) && Path.GetFileName(f) != "lock")
            : []);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(h.Config.RootDir, "pods")));
        Assert.Empty(KubeletHarness.LiveHolders());
        Assert.Empty(Directory.Exists(Path.Combine(h.Config.CniCacheDir, "results")) ? Directory.EnumerateFiles(Path.Combine(h.Config.CniCacheDir, "results")) : []);
        var links = Tool.IpJson(h.Node.Name, "link", "show");
        Assert.DoesNotContain(links.EnumerateArray(), l => l.GetProperty("ifname").GetString()!.StartsWith("veth", StringComparison.Ordinal));
    }
}
