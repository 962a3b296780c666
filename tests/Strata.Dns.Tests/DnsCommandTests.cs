using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Strata.Dns.Tests.Support;

namespace Strata.Dns.Tests;

/// <summary><c>strata dns</c> run as a user runs it: the built CLI as its own process, asked with dig, stopped with SIGTERM.</summary>
public sealed class DnsCommandTests
{
    private static readonly string Strata = Path.Combine(AppContext.BaseDirectory, "strata.dll");

    [Theory]
    [InlineData("--ttl", "seven", "strata: flags: ttl \"seven\" is not a whole number of seconds from 0 to 3600")]
    [InlineData("--pods", "all", "strata: flags: pods \"all\" is not one of disabled, insecure, verified")]
    [InlineData("--upstream", "dns.google", "strata: flags: upstream \"dns.google\" is not an IP address, ip:port or [ipv6]:port")]
    [InlineData("--zone", "bad_zone.local", "strata: flags: zone \"bad_zone.local\" has an invalid label \"bad_zone\" (letters, digits and inner dashes, at most 63)")]
    [InlineData("--listen", "localhost:53", "strata: --listen \"localhost:53\" is not ip:port")]
    [InlineData("--config-map", "strata-dns", "strata: --config-map \"strata-dns\" is not namespace/name")]
    public async Task BadFlagsAreRefusedNamingTheFlag(string flag, string value, string error)
    {
        await using var api = await TestApiServer.StartAsync();
        string[] listen = flag == "--listen" ? [] : ["--listen", "127.0.0.1:0"];
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, "dns", "--kubeconfig", api.Host.KubeconfigPath, .. listen, flag, value]);
        Assert.Equal(1, code);
        Assert.Equal(error, stderr.Trim());
    }

    [Fact]
    public async Task ABusyPortIsRefused()
    {
        await using var api = await TestApiServer.StartAsync();
        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)busy.LocalEndPoint!).Port;
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, "dns", "--kubeconfig", api.Host.KubeconfigPath, "--listen", $"127.0.0.1:{port}"]);
        Assert.Equal(1, code);
        Assert.StartsWith($"strata: cannot listen on 127.0.0.1:{port} (UDP and TCP): ", stderr.Trim());
    }

    [Fact]
    public async Task ServesUntilSigterm()
    {
        await using var api = await TestApiServer.StartAsync();
        api.KubectlOk("create", "service", "clusterip", "web", "--tcp=80:8080");
        var service = api.KubectlOk("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}");
        var port = Named.FreePort().ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Strata, "dns", "--kubeconfig", api.Host.KubeconfigPath, "--listen", $"127.0.0.1:{port}", "--ttl", "12", "--upstream", "127.0.0.1:9" })
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
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string answer;
            do
            {
                Assert.False(process.HasExited, output.ToString());
                Assert.True(DateTime.UtcNow < deadline, $"no answer within 60 s: {output}");
                Thread.Sleep(100);
                answer = Tool.Run("dig", "@127.0.0.1", "-p", port, "+time=1", "+tries=1", "+noall", "+answer", "web.default.svc.cluster.local").Stdout.Trim();
            }
            while (!answer.StartsWith("web.", StringComparison.Ordinal));

            Assert.Matches($@"^web\.default\.svc\.cluster\.local\.\s+12\s+IN\s+A\s+{Regex(service)}$", answer);
            Tool.Check("kill", "-TERM", process.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(process.WaitForExit(10_000), "strata dns did not exit within 10 s of SIGTERM");
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            lock (output)
            {
                Assert.Contains($"serving DNS on 127.0.0.1:{port} (UDP and TCP): zone cluster.local, ttl 12, pods insecure, upstreams 127.0.0.1:9", output.ToString());
                Assert.Contains("synced with the API: ", output.ToString());
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }

    [Fact]
    public void WithoutAKubeconfigOutsideAPodItSaysWhatIsMissing()
    {
        var (code, _, stderr) = Tool.Run("dotnet", [Strata, "dns", "--listen", "127.0.0.1:0"]);
        Assert.Equal(1, code);
        Assert.Equal("strata: --kubeconfig: not given, and not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set and " +
            "/var/run/secrets/kubernetes.io/serviceaccount/token present (unable to load in-cluster configuration)", stderr.Trim());
    }

    [Fact]
    public async Task InAPodItReachesTheApiWithTheServiceAccountFiles()
    {
        await using var api = await TestApiServer.StartAsync();
        api.KubectlOk("create", "serviceaccount", "coredns", "-n", "kube-system");
        api.KubectlOk("create", "service", "clusterip", "web", "--tcp=80:8080");
        var service = api.KubectlOk("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}");
        // What the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount, here in a private mount namespace's /run.
        var files = Directory.CreateTempSubdirectory("strata-t-sa-").FullName;
        File.WriteAllText(Path.Combine(files, "token"), api.KubectlOk("create", "token", "coredns", "-n", "kube-system").Trim());
        File.WriteAllText(Path.Combine(files, "ca.crt"), api.Host.Credentials.CaPem);
        File.WriteAllText(Path.Combine(files, "namespace"), "kube-system");
        var port = Named.FreePort().ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--mount", "--propagation", "private", "sh", "-c",
            $"mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && cp {files}/* /run/secrets/kubernetes.io/serviceaccount/ && " +
            $"exec dotnet {Strata} dns --listen 127.0.0.1:{port} --upstream 127.0.0.1:9 --config-map ''" })
        {
            start.ArgumentList.Add(arg);
        }

        // client-go's InClusterConfig: the kubernetes Service's address from the environment the kubelet sets.
        start.Environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1";
        start.Environment["KUBERNETES_SERVICE_PORT"] = api.Address.Port.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string answer;
            do
            {
                Assert.False(process.HasExited, output.ToString());
                Assert.True(DateTime.UtcNow < deadline, $"no answer within 60 s: {output}");
                Thread.Sleep(100);
                answer = Tool.Run("dig", "@127.0.0.1", "-p", port, "+time=1", "+tries=1", "+short", "web.default.svc.cluster.local").Stdout.Trim();
            }
            while (answer != service);

            Tool.Check("kill", "-TERM", process.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(process.WaitForExit(10_000), "strata dns did not exit within 10 s of SIGTERM");
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
            lock (output)
            {
                Assert.Contains("synced with the API: ", output.ToString());
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            Directory.Delete(files, recursive: true);
        }
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
