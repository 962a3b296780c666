using k8s.Models;
using Strata.Agent.Images;
using Strata.Agent.Runtime;

namespace Strata.Agent.Tests.Images;

public sealed class ImageTableTests
{
    private const string Strata = "/opt/strata/strata";
    private const string PodDir = "/var/lib/kubelet/pods/uid-1/strata";

    private static readonly Dictionary<string, string> Host = new()
    {
        ["sh"] = "/usr/bin/sh",
        ["/bin/sh"] = "/bin/sh",
        ["bash"] = "/usr/bin/bash",
        ["sleep"] = "/usr/bin/sleep",
        ["curl"] = "/usr/bin/curl",
        ["nginx"] = "/usr/sbin/nginx",
        ["/usr/sbin/nginx"] = "/usr/sbin/nginx",
        ["wget"] = "/usr/bin/wget",
    };

    private static readonly ImageContext Context = new(Strata, PodDir, name => Host.GetValueOrDefault(name));

    /// <summary>A case: image, command, args → the program and its argv[1..] (or null when it is not runnable).</summary>
    public sealed record Case(string Image, string[]? Command, string[]? Args, string? Executable, string[]? Arguments, string Why);

    public static TheoryData<Case> Runnable => new()
    {
        new("busybox", null, null, "/usr/bin/sh", [], "busybox's CMD is sh"),
        new("busybox:1.36", null, ["sleep", "3600"], "/usr/bin/sleep", ["3600"], "args replace CMD; busybox has no ENTRYPOINT"),
        new("busybox", ["sh", "-c"], ["echo hi"], "/usr/bin/sh", ["-c", "echo hi"], "command + args"),
        new("docker.io/library/alpine:3.20", null, null, "/bin/sh", [], "alpine's CMD is /bin/sh"),
        new("nicolaka/netshoot", null, null, "/usr/bin/bash", [], "netshoot's zsh is absent: bash"),
        new("nicolaka/netshoot:v0.13", ["sleep", "infinity"], null, "/usr/bin/sleep", ["infinity"], "command as given"),
        new("curlimages/curl:8.8.0", null, ["-s", "http://10.233.0.1/"], "/usr/bin/curl", ["-s", "http://10.233.0.1/"], "option args go to curl"),
        new("curlimages/curl", null, ["sleep", "3600"], "/usr/bin/sleep", ["3600"], "a program in args runs itself"),
        new("curlimages/curl", null, ["example.com"], "/usr/bin/curl", ["example.com"], "a word that is no program goes to curl"),
        new("curlimages/curl", null, null, "/usr/bin/curl", [], "CMD curl"),
        new("registry.k8s.io/e2e-test-images/agnhost:2.52", null, ["netexec", "--http-port=8080", "--udp-port=8081"],
            Strata, ["agnhost", "netexec", "--http-port=8080", "--udp-port=8081"], "args name the subcommand"),
        new("registry.k8s.io/e2e-test-images/agnhost:2.52", ["/agnhost", "serve-hostname"], null,
            Strata, ["agnhost", "serve-hostname"], "command /agnhost"),
        new("registry.k8s.io/e2e-test-images/agnhost:2.52", null, null, Strata, ["agnhost", "pause"], "agnhost's CMD is pause"),
        new("registry.k8s.io/e2e-test-images/agnhost:2.52", ["/bin/sh", "-c", "sleep 1"], null, "/bin/sh", ["-c", "sleep 1"], "a shell command in the agnhost image runs as given"),
        new("registry.k8s.io/pause:3.10", null, null, Strata, ["agnhost", "pause-image"], "the pause image"),
        new("k8s.gcr.io/pause-amd64:3.1", null, null, Strata, ["agnhost", "pause-image"], "the pause image for one architecture"),
        new("strata/flannel", null, null, Strata, ["agent", "--roles", "flannel"], "strata/<role> defaults to that role"),
        new("strata/proxy:dev", ["strata", "agent", "--roles", "proxy", "--node-name", "n1"], null, Strata, ["agent", "--roles", "proxy", "--node-name", "n1"], "command strata is the strata executable"),
        new("strata/proxy:dev", null, ["agent", "--roles", "proxy"], Strata, ["agent", "--roles", "proxy"], "args after the strata ENTRYPOINT"),
        new("nginx:1.25", ["sleep", "10"], null, "/usr/bin/sleep", ["10"], "a command replaces nginx's entrypoint"),
        new("nginx", null, ["sh", "-c", "exit 0"], "/usr/bin/sh", ["-c", "exit 0"], "nginx's entrypoint execs a non-nginx command"),
        new("quay.io/someone/unknown:1", ["sleep", "5"], ["x"], "/usr/bin/sleep", ["5", "x"], "an unknown image with a command runs it"),
    };

    [Theory]
    [MemberData(nameof(Runnable))]
    public void Maps_the_image_to_a_host_program(Case test)
    {
        var run = Assert.IsType<RunnableContainer>(Resolve(test.Image, test.Command, test.Args));
        Assert.Null(run.StartError);
        Assert.Equal(test.Executable, run.Executable);
        Assert.Equal(test.Arguments, run.Arguments);
        Assert.Contains(test.Image + " → ", run.Description, StringComparison.Ordinal);
        Assert.Contains("PATH=" + ProcessSpawner.DefaultPath, run.Environment);
    }

    [Theory]
    [InlineData("nginx", null, null, 80)]
    [InlineData("nginx:1.25", null, null, 80)]
    [InlineData("docker.io/library/nginx:alpine", null, new[] { "nginx", "-g", "daemon off;" }, 80)]
    public void Nginx_runs_debian_nginx_with_a_per_container_config(string image, string[]? command, string[]? args, int port)
    {
        var run = Assert.IsType<RunnableContainer>(Resolve(image, command, args));
        string config = $"{PodDir}/web/nginx.conf";
        Assert.Equal("/usr/sbin/nginx", run.Executable);
        Assert.Equal("nginx", run.ArgumentZero);
        Assert.Equal(["-c", config, "-g", "daemon off;"], run.Arguments);
        var file = Assert.Single(run.Files);
        Assert.Equal(config, file.Path);
        Assert.Contains($"listen       {port};", file.Contents, StringComparison.Ordinal);
        Assert.Contains($"pid        {PodDir}/web/nginx.pid;", file.Contents, StringComparison.Ordinal);
        Assert.Equal(ContainerSignals.SIGQUIT, run.StopSignal);
        Assert.Equal($"{image} → /usr/sbin/nginx -c {config} -g 'daemon off;' (Debian's nginx with the image's configuration, listening on {port})", run.Description);
    }

    [Fact]
    public void Nginx_listens_on_each_tcp_container_port()
    {
        var container = Container("nginx", null, null);
        container.Ports = [new() { ContainerPort = 8080 }, new() { ContainerPort = 8443, Protocol = "TCP" }, new() { ContainerPort = 53, Protocol = "UDP" }];
        var run = Assert.IsType<RunnableContainer>(ImageTable.Resolve(Pod(container), container, Context));
        string config = Assert.Single(run.Files).Contents;
        Assert.Contains("listen       8080;", config, StringComparison.Ordinal);
        Assert.Contains("listen       8443;", config, StringComparison.Ordinal);
        Assert.DoesNotContain("listen       53;", config, StringComparison.Ordinal);
        Assert.DoesNotContain("listen       80;", config, StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_is_not_on_the_node_fails_to_start_as_runc_reports_it()
    {
        var run = Assert.IsType<RunnableContainer>(Resolve("busybox", ["nslookup", "kubernetes"], null));
        Assert.Equal("nslookup", run.Executable);
        Assert.Equal(
            "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: " +
            "unable to start container process: exec: \"nslookup\": executable file not found in $PATH: unknown",
            run.StartError);
        Assert.Equal("StartError", ContainerStartErrors.Reason);
        Assert.Equal(128, ContainerStartErrors.ExitCode);
    }

    [Fact]
    public void A_missing_absolute_path_fails_with_stat()
    {
        var run = Assert.IsType<RunnableContainer>(Resolve("alpine", ["/app/server"], null));
        Assert.EndsWith("exec: \"/app/server\": stat /app/server: no such file or directory: unknown", run.StartError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("myregistry.example/app:v2")]
    [InlineData("redis")]
    [InlineData("ghcr.io/org/tool@sha256:0123")]
    public void An_unknown_image_without_a_command_waits_with_ErrImageNeverPull(string image)
    {
        var waiting = Assert.IsType<NotRunnable>(Resolve(image, null, ["--flag"]));
        Assert.Equal("ErrImageNeverPull", waiting.Reason);
        Assert.Equal($"Container image \"{image}\" is not present with pull policy of Never", waiting.Message);
    }

    [Theory]
    [InlineData("porter")]
    [InlineData("webhook")]
    [InlineData("liveness")]
    public void An_agnhost_subcommand_strata_lacks_is_not_run(string subcommand)
    {
        var waiting = Assert.IsType<NotRunnable>(Resolve("registry.k8s.io/e2e-test-images/agnhost:2.52", null, [subcommand]));
        Assert.Equal("CreateContainerError", waiting.Reason);
        Assert.StartsWith($"agnhost subcommand \"{subcommand}\" is not implemented by Strata", waiting.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "e" }, new[] { "c" }, null, new[] { "e", "c" })]
    [InlineData(new[] { "e" }, new[] { "c" }, "args", new[] { "e", "a" })]
    [InlineData(new[] { "e" }, new[] { "c" }, "command", new[] { "x" })]
    [InlineData(new[] { "e" }, new[] { "c" }, "both", new[] { "x", "a" })]
    public void Command_replaces_entrypoint_and_drops_cmd_args_replace_cmd(string[] entrypoint, string[] cmd, string? given, string[] expected)
    {
        var container = new V1Container
        {
            Name = "c",
            Image = "i",
            Command = given is "command" or "both" ? ["x"] : null,
            Args = given is "args" or "both" ? ["a"] : null,
        };
        Assert.Equal(expected, ImageTable.EffectiveArgv(entrypoint, cmd, container));
    }

    [Fact]
    public void Every_rule_is_listed_with_what_the_image_and_strata_run()
    {
        Assert.All(ImageTable.Rules, rule =>
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.Pattern));
            Assert.False(string.IsNullOrWhiteSpace(rule.Image));
            Assert.False(string.IsNullOrWhiteSpace(rule.Runs));
        });
        Assert.Contains(ImageTable.Rules, r => r.Pattern == "nginx*");
    }

    private static ImageResolution Resolve(string image, string[]? command, string[]? args)
    {
        var container = Container(image, command, args);
        return ImageTable.Resolve(Pod(container), container, Context);
    }

    private static V1Container Container(string image, string[]? command, string[]? args) =>
        new() { Name = "web", Image = image, Command = command, Args = args };

    private static V1Pod Pod(V1Container container) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = [container] },
    };
}
