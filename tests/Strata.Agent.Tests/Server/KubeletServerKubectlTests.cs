using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using Strata.Agent.Server;
using Strata.Controllers.Tests.Support;

namespace Strata.Agent.Tests.Server;

/// <summary>
/// <c>kubectl logs</c> and <c>kubectl exec</c> end to end: the real kubectl v1.32, the API server's proxy, and the
/// kubelet server, for pods that the test locator maps to files and to a scratch network namespace.
/// </summary>
public sealed class KubeletServerKubectlTests(KubeletServerFixture fixture) : IClassFixture<KubeletServerFixture>
{
    private const string Log = "line 1\nline 2\nline 3\n";

    [KubeletFact]
    public async Task Logs_print_the_file_its_tail_and_its_first_bytes()
    {
        var file = await fixture.AddPodAsync("logs", Log);

        Assert.Equal(Log, Ok(fixture.Kubectl("logs", "logs")));
        Assert.Equal("line 2\nline 3\n", Ok(fixture.Kubectl("logs", "logs", "--tail=2")));
        Assert.Equal("line ", Ok(fixture.Kubectl("logs", "logs", "--limit-bytes=5")));
        Assert.Equal(Log, Ok(fixture.Kubectl("logs", "pod/logs", "-c", "app", "--since=1h")));
        var stamped = Ok(fixture.Kubectl("logs", "logs", "--timestamps", "--tail=1"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 3\n$", stamped);

        // Lines carry no time: a log last written before --since has nothing after it.
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        Assert.Equal("", Ok(fixture.Kubectl("logs", "logs", "--since=1h")));
        Assert.Equal(Log, Ok(fixture.Kubectl("logs", "logs", "--since=3h")));
    }

    [KubeletFact]
    public async Task Logs_follow_sees_lines_appended_after_it_started()
    {
        var file = await fixture.AddPodAsync("follow", Log);
        using var kubectl = fixture.StartKubectl(["logs", "-f", "follow"]);
        try
        {
            var seen = new StringBuilder();
            await ReadUntilAsync(kubectl, seen, "line 3\n");
            await File.AppendAllTextAsync(file, "line 4, after kubectl started\n");
            await ReadUntilAsync(kubectl, seen, "line 4, after kubectl started\n");
            Assert.Equal(Log + "line 4, after kubectl started\n", seen.ToString());
            Assert.False(kubectl.HasExited);
        }
        finally
        {
            kubectl.Kill();
            await kubectl.WaitForExitAsync();
        }
    }

    [KubeletFact]
    public async Task Logs_follow_ends_when_the_container_stops()
    {
        var file = await fixture.AddPodAsync("stops", Log);
        using var kubectl = fixture.StartKubectl(["logs", "-f", "stops"]);
        try
        {
            var seen = new StringBuilder();
            await ReadUntilAsync(kubectl, seen, "line 3\n");
            await File.AppendAllTextAsync(file, "last words\n");
            fixture.Locator.Set("default", "stops", "app", fixture.Locator.Get("default", "stops", "app") with { Running = false });
            var rest = await kubectl.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await kubectl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, kubectl.ExitCode);
            Assert.EndsWith("last words\n", seen + rest);
        }
        finally
        {
            if (!kubectl.HasExited)
            {
                kubectl.Kill();
            }
        }
    }

    [KubeletFact]
    public async Task Logs_follow_ends_when_a_new_instance_replaces_the_log_and_at_the_byte_limit()
    {
        await fixture.AddPodAsync("replaced", Log);
        using var kubectl = fixture.StartKubectl(["logs", "-f", "replaced"]);
        try
        {
            var seen = new StringBuilder();
            await ReadUntilAsync(kubectl, seen, "line 3\n");
            var next = Path.Combine(fixture.Directory, "replaced-2.log");
            File.WriteAllText(next, "second life\n");
            fixture.Locator.Set("default", "replaced", "app", fixture.Locator.Get("default", "replaced", "app") with { CurrentLogPath = next });
            await kubectl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, kubectl.ExitCode);
            Assert.Equal(Log, seen + await kubectl.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            if (!kubectl.HasExited)
            {
                kubectl.Kill();
            }
        }

        // A followed log stops at --limit-bytes even though its container still runs.
        var (code, stdout, stderr) = fixture.Kubectl("logs", "-f", "replaced", "--limit-bytes=8");
        Assert.True(code == 0, stderr);
        Assert.Equal("second l", stdout);
    }

    [KubeletFact]
    public async Task Logs_previous_prints_the_previous_instance_or_kubelets_error()
    {
        await fixture.AddPodAsync("fresh", Log);
        await fixture.AddPodAsync("restarted", Log, previousLog: "the first life\n");

        Assert.Equal("the first life\n", Ok(fixture.Kubectl("logs", "restarted", "--previous")));
        var (code, _, stderr) = fixture.Kubectl("logs", "fresh", "--previous");
        Assert.NotEqual(0, code);
        Assert.Contains("Error from server (BadRequest): previous terminated container \"app\" in pod \"fresh\" not found", stderr, StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task An_unknown_container_gets_kubectls_errors()
    {
        await fixture.AddPodAsync("known", Log);
        var (code, _, stderr) = fixture.Kubectl("logs", "known", "-c", "nope");
        Assert.NotEqual(0, code);
        Assert.Contains("container nope is not valid for pod known", stderr, StringComparison.Ordinal);

        // A pod the API has bound to the node but the node does not run: the kubelet's 404, which kube-apiserver
        // turns into its generic NotFound for pods/log.
        await fixture.AddPodAsync("ghost", Log);
        fixture.Locator.Remove("default", "ghost", "app");
        (code, _, stderr) = fixture.Kubectl("logs", "ghost");
        Assert.NotEqual(0, code);
        Assert.Contains("Error from server (NotFound): the server could not find the requested resource ( pods/log ghost)", stderr, StringComparison.Ordinal);
        (code, _, stderr) = fixture.Kubectl("exec", "ghost", "--", "true");
        Assert.NotEqual(0, code);
        Assert.Contains("container not found (\"app\")", stderr, StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task Exec_runs_in_the_containers_network_namespace_over_websockets_v5()
    {
        await fixture.AddPodAsync("netdev", Log);
        var (code, stdout, stderr) = fixture.Kubectl("-v=4", "exec", "netdev", "--", "cat", "/proc/net/dev");
        Assert.True(code == 0, stderr);
        Assert.Contains("The subprotocol is v5.channel.k8s.io", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("fall", stderr, StringComparison.OrdinalIgnoreCase);
        var interfaces = Interfaces(stdout);
        Assert.Equal(["lo", KubeletServerFixture.ProbeLink, KubeletServerFixture.ProbePeer], interfaces.Order());
        Assert.DoesNotContain(Interfaces(File.ReadAllText("/proc/net/dev")).Where(i => i != "lo"), interfaces.Contains);
    }

    [KubeletFact]
    public async Task Exec_has_the_containers_environment_and_directory_and_its_exit_code()
    {
        await fixture.AddPodAsync("env", Log);
        Assert.Equal($"hello from the container\n{fixture.Directory}\n", Ok(fixture.Kubectl("exec", "env", "--", "sh", "-c", "echo \"$GREETING\"; pwd")));

        var (code, stdout, stderr) = fixture.Kubectl("exec", "env", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, code);
        Assert.Equal("out\n", stdout);
        Assert.Contains("err\n", stderr, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", stderr, StringComparison.Ordinal);
        Assert.Empty(fixture.ServerErrors);
    }

    [KubeletFact]
    public async Task Exec_passes_stdin_and_its_end()
    {
        await fixture.AddPodAsync("stdin", Log);
        var (code, stdout, stderr) = fixture.KubectlWithInput("hi\n", "exec", "-i", "stdin", "--", "cat");
        Assert.True(code == 0, stderr);
        Assert.Equal("hi\n", stdout);
    }

    [KubeletFact]
    public async Task A_command_whose_client_goes_away_is_killed()
    {
        await fixture.AddPodAsync("abandoned", Log);
        var pidFile = Path.Combine(fixture.Directory, "abandoned.pid");
        using var kubectl = fixture.StartKubectl(["exec", "abandoned", "--", "sh", "-c", $"echo $$ > {pidFile}; echo started; exec sleep 600"]);
        int pid;
        try
        {
            await ReadUntilAsync(kubectl, new StringBuilder(), "started\n");
            pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("sleep", File.ReadAllText($"/proc/{pid}/cmdline"), StringComparison.Ordinal);
        }
        finally
        {
            kubectl.Kill();
            await kubectl.WaitForExitAsync();
        }

        await ControlPlane.EventuallyAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), $"the exec'd sleep (pid {pid}) to be killed");
    }

    [KubeletFact]
    public async Task A_v4_client_gets_the_exit_code_in_a_status_and_an_spdy_request_is_told_why_not()
    {
        await fixture.AddPodAsync("v4", Log);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(ChannelProtocol.V4.Name);
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsKubeletCertificate(certificate);
        var command = string.Join('&', new[] { "sh", "-c", "echo v4; exit 7" }.Select(c => "command=" + Uri.EscapeDataString(c)));
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{fixture.Server.Port}/exec/default/v4/app?{command}&output=1&error=1"), CancellationToken.None);
        Assert.Equal("v4.channel.k8s.io", socket.SubProtocol);
        var (stdout, error) = await ReadSessionAsync(socket);
        Assert.Equal("v4\n", stdout);
        var status = System.Text.Json.Nodes.JsonNode.Parse(error)!;
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        Assert.Equal("7", (string?)status["details"]!["causes"]![0]!["message"]);

        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => IsKubeletCertificate(certificate) } });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{fixture.Server.Port}/exec/default/v4/app?command=true&output=1");
        request.Headers.Add("X-Stream-Protocol-Version", "v4.channel.k8s.io");
        using var spdy = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, spdy.StatusCode);
        Assert.Contains("SPDY is not supported", await spdy.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task Exec_of_a_missing_command_fails_with_runcs_message()
    {
        await fixture.AddPodAsync("missing", Log);
        // As with containerd (kubelet 1.32's runtime): the exec cannot start, the kubelet reports an InternalError and
        // kubectl exits 1 (docker's 126/127 came from dockershim, gone since 1.24).
        var (code, _, stderr) = fixture.Kubectl("exec", "missing", "--", "nosuchcmd");
        Assert.Equal(1, code);
        Assert.Matches("^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"[0-9a-f]{64}\": ", stderr);
        Assert.Contains("OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuchcmd\": executable file not found in $PATH: unknown", stderr, StringComparison.Ordinal);

        (code, _, stderr) = fixture.Kubectl("exec", "missing", "--", "/no/such/program");
        Assert.Equal(1, code);
        Assert.Contains("unable to start container process: exec: \"/no/such/program\": stat /no/such/program: no such file or directory: unknown", stderr, StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task Exec_into_a_stopped_container_is_refused()
    {
        await fixture.AddPodAsync("stopped", Log, running: false);
        var (code, _, stderr) = fixture.Kubectl("exec", "stopped", "--", "true");
        Assert.NotEqual(0, code);
        Assert.Contains("container not found (\"app\")", stderr, StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task Exec_with_a_terminal_runs_on_a_pty()
    {
        await fixture.AddPodAsync("tty", Log);
        // script(1) gives kubectl a terminal, as a user's shell would.
        var kubectl = string.Join(' ', fixture.KubectlPrefix.Concat(["exec", "-it", "tty", "--", "tty"]).Select(a => $"'{a}'"));
        var (code, stdout, stderr) = Tool.Run("script", "-qec", $"kubectl {kubectl}", "/dev/null");
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"/dev/pts/\d+\r?\n", stdout);
        Assert.Empty(fixture.ServerErrors);
    }

    [KubeletFact]
    public async Task An_interactive_shell_on_a_terminal_reads_what_is_typed_and_exits_with_its_code()
    {
        await fixture.AddPodAsync("shell", Log);
        var kubectl = string.Join(' ', fixture.KubectlPrefix.Concat(["exec", "-it", "shell", "--", "sh"]).Select(a => $"'{a}'"));
        var (code, stdout, stderr) = fixture.RunWithInput("script", "echo typed-$((6*7))\nexit 5\n", "-qec", $"kubectl {kubectl}", "/dev/null");
        Assert.True(code == 5, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("typed-42\r\n", stdout, StringComparison.Ordinal);
    }

    [KubeletFact]
    public async Task A_v5_client_resizes_the_terminal()
    {
        await fixture.AddPodAsync("resize", Log);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(ChannelProtocol.V5.Name);
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsKubeletCertificate(certificate);
        var command = string.Join('&', new[] { "sh", "-c", "read x; stty size; tty" }.Select(c => "command=" + Uri.EscapeDataString(c)));
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{fixture.Server.Port}/exec/default/resize/app?{command}&input=1&output=1&tty=1"), CancellationToken.None);
        Assert.Equal("v5.channel.k8s.io", socket.SubProtocol);

        await socket.SendAsync(new byte[] { 4 }.Concat("{\"Width\":100,\"Height\":30}"u8.ToArray()).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        await socket.SendAsync(new byte[] { 0 }.Concat("go\r"u8.ToArray()).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        var (stdout, error) = await ReadSessionAsync(socket);
        Assert.Contains("30 100\r\n", stdout, StringComparison.Ordinal);
        Assert.Matches(@"/dev/pts/\d+\r\n", stdout);
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", error);
    }

    [KubeletFact]
    public async Task The_server_answers_healthz_and_404s_the_rest()
    {
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => IsKubeletCertificate(certificate) } });
        Assert.Equal("ok", await http.GetStringAsync($"https://127.0.0.1:{fixture.Server.Port}/healthz"));
        using var missing = await http.GetAsync($"https://127.0.0.1:{fixture.Server.Port}/pods");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>The self-signed certificate the server made for the node (the API server, like kube-apiserver, does not check it).</summary>
    private static bool IsKubeletCertificate(System.Security.Cryptography.X509Certificates.X509Certificate? certificate) =>
        certificate?.Subject.StartsWith($"CN={KubeletServerFixture.NodeName}@", StringComparison.Ordinal) == true;

    private static string Ok((int ExitCode, string Stdout, string Stderr) result)
    {
        Assert.True(result.ExitCode == 0, $"kubectl exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    private static List<string> Interfaces(string procNetDev) =>
        [.. procNetDev.Split('\n').Skip(2).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l.Split(':')[0].Trim())];

    /// <summary>Reads kubectl's stdout as it comes, until the text seen ends with <paramref name="expected"/>.</summary>
    private static async Task ReadUntilAsync(Process process, StringBuilder seen, string expected)
    {
        var buffer = new char[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!seen.ToString().EndsWith(expected, StringComparison.Ordinal))
        {
            var read = await process.StandardOutput.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                Assert.Fail($"kubectl ended before printing {expected}: {seen}{await process.StandardError.ReadToEndAsync()}");
            }

            seen.Append(buffer, 0, read);
        }
    }

    /// <summary>stdout and the error channel of a session, until the server closes it.</summary>
    private static async Task<(string Stdout, string Error)> ReadSessionAsync(ClientWebSocket socket)
    {
        var stdout = new StringBuilder();
        var error = new StringBuilder();
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return (stdout.ToString(), error.ToString());
            }

            var bytes = message.ToArray();
            if (bytes.Length > 0)
            {
                (bytes[0] == ChannelProtocol.Error ? error : stdout).Append(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
            }
        }
    }
}
