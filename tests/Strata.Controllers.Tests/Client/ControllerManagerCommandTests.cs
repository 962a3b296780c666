using System.Diagnostics;
using k8s.Models;
using Strata.Controllers.Tests.Support;

namespace Strata.Controllers.Tests.Client;

/// <summary><c>strata controller-manager</c> run as a user would: the built CLI as its own process.</summary>
public sealed class ControllerManagerCommandTests
{
    private static readonly string Strata = Path.Combine(AppContext.BaseDirectory, "strata.dll");

    [Fact]
    public async Task An_unknown_controller_name_is_refused_with_the_known_names()
    {
        await using var plane = await ControlPlane.StartAsync();
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, "controller-manager", "--kubeconfig", plane.Server.Host.KubeconfigPath, "--controllers", "namespace,frobnicate"]);
        Assert.Equal(1, code);
        Assert.Contains("strata: --controllers: \"frobnicate\" is not a known controller: known controllers are ", stderr);
        Assert.Contains("garbagecollector", stderr);
    }

    [Theory]
    [InlineData("controller-manager")]
    [InlineData("apiserver")]
    public async Task A_bad_load_balancer_pool_is_refused_naming_the_flag_and_the_block(string command)
    {
        await using var plane = await ControlPlane.StartAsync();
        var dataDir = Path.Combine(plane.Server.DataDirectory, "refused-pool");
        string[] target = command == "apiserver"
            ? ["--listen", "127.0.0.1:0", "--data-dir", dataDir]
            : ["--kubeconfig", plane.Server.Host.KubeconfigPath];
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, command, .. target, "--load-balancer-pool", "192.168.9.200-192.168.9.300"]);
        Assert.Equal(1, code);
        Assert.Equal("strata: --load-balancer-pool: load balancer pool \"192.168.9.200-192.168.9.300\": range \"192.168.9.200-192.168.9.300\" has an invalid IP address \"192.168.9.300\"", stderr.Trim());
        Assert.False(Directory.Exists(dataDir), "the API server created its data directory before refusing");
    }

    [Theory]
    [InlineData("controller-manager", "10.0.0.0/33", "24", "invalid CIDR address: 10.0.0.0/33")]
    [InlineData("controller-manager", "10.0.0.0/16", "8", "the node mask size must be between the cluster CIDR's (16) and 32")]
    [InlineData("apiserver", "10.0.0.0/33", "24", "invalid CIDR address: 10.0.0.0/33")]
    public async Task A_bad_cluster_cidr_is_refused_before_anything_starts(string command, string cidr, string mask, string why)
    {
        await using var plane = await ControlPlane.StartAsync();
        var dataDir = Path.Combine(plane.Server.DataDirectory, "refused");
        string[] target = command == "apiserver"
            ? ["--listen", "127.0.0.1:0", "--data-dir", dataDir]
            : ["--kubeconfig", plane.Server.Host.KubeconfigPath];
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, command, .. target, "--cluster-cidr", cidr, "--node-cidr-mask-size", mask]);
        Assert.Equal(1, code);
        Assert.Equal($"strata: --cluster-cidr {cidr} --node-cidr-mask-size {mask}: {why}", stderr.Trim());
        Assert.False(Directory.Exists(dataDir), "the API server created its data directory before refusing");
    }

    [Fact]
    public void A_missing_kubeconfig_is_refused()
    {
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, "controller-manager", "--kubeconfig", "/nonexistent/kubeconfig"]);
        Assert.Equal(1, code);
        Assert.StartsWith("strata: --kubeconfig: ", stderr);
    }

    [Fact]
    public async Task Runs_the_controllers_against_an_api_server_over_https()
    {
        await using var plane = await ControlPlane.StartAsync(); // no in-process controllers
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Strata, "controller-manager", "--kubeconfig", plane.Server.Host.KubeconfigPath, "--controllers", "garbagecollector,namespace" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var owner = await plane.Client.CreateAsync(new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "remote-owner", NamespaceProperty = "default" } });
            await plane.Client.CreateAsync(new V1Pod
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Metadata = new V1ObjectMeta
                {
                    Name = "remote-dependent",
                    NamespaceProperty = "default",
                    OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "remote-owner", Uid = owner.Metadata.Uid }],
                },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
            });
            plane.KubectlOk("create", "namespace", "remote-doomed");
            plane.KubectlOk("create", "configmap", "x", "-n", "remote-doomed");

            plane.KubectlOk("delete", "configmap", "remote-owner");
            plane.KubectlOk("delete", "namespace", "remote-doomed", "--wait=false");

            await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Pod>("default", "remote-dependent") is null, "the dependent to be collected", TimeSpan.FromSeconds(30));
            await ControlPlane.EventuallyAsync(async () => await plane.Client.GetAsync<V1Namespace>(null, "remote-doomed") is null, "the namespace to be deleted", TimeSpan.FromSeconds(30));
            Assert.False(process.HasExited, output.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
        }
    }
}
