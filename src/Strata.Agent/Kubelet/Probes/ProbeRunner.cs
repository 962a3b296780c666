using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.Win32.SafeHandles;
using Strata.Agent.Runtime;

namespace Strata.Agent.Kubelet.Probes;

/// <summary>Where a probe runs: the pod's IP, and, for exec, the container's namespaces, environment and directory.</summary>
public sealed record ProbeTarget(string PodIp, V1Container Container, NamespacePaths Namespaces, IReadOnlyList<string> Environment, string? WorkingDirectory, string ScratchDirectory);

/// <summary>
/// Runs one probe (pkg/kubelet/prober/prober.go runProbe with pkg/probe/{http,tcp,exec}): httpGet to the pod's IP
/// from the node (2xx and 3xx succeed), tcpSocket connects, exec runs the command in the container's namespaces
/// (exit 0 succeeds). Failures carry upstream's messages.
/// </summary>
public sealed class ProbeRunner(NodeSockets sockets)
{
    private const int MaxOutput = 10 * 1024;

    public async Task<ProbeOutcome> RunAsync(V1Probe probe, ProbeTarget target, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        if (probe.HttpGet is { } http)
        {
            return await HttpAsync(http, target, timeout, cancellationToken);
        }

        if (probe.TcpSocket is { } tcp)
        {
            return await TcpAsync(tcp, target, timeout, cancellationToken);
        }

        if (probe.Exec is { } exec)
        {
            return await ExecAsync(exec, target, timeout, cancellationToken);
        }

        return ProbeOutcome.Fail("missing probe handler");
    }

    /// <summary>A named or numbered port of the container (pkg/kubelet/prober findPortByName).</summary>
    public static int? ResolvePort(IntOrString port, V1Container container)
    {
        string value = port.Value;
        if (int.TryParse(value, out int number))
        {
            return number is > 0 and < 65536 ? number : null;
        }

        return container.Ports?.FirstOrDefault(p => p.Name == value)?.ContainerPort;
    }

    private async Task<ProbeOutcome> HttpAsync(V1HTTPGetAction http, ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string scheme = (http.Scheme ?? "HTTP").ToLowerInvariant();
        string host = string.IsNullOrEmpty(http.Host) ? target.PodIp : http.Host;
        if (ResolvePort(http.Port, target.Container) is not { } port)
        {
            return ProbeOutcome.Fail($"unable to find port {http.Port.Value} in the container's ports");
        }

        string path = string.IsNullOrEmpty(http.Path) ? "/" : http.Path.StartsWith('/') ? http.Path : "/" + http.Path;
        var uri = new Uri($"{scheme}://{(host.Contains(':') ? $"[{host}]" : host)}:{port}{path}");
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = async (context, ct) =>
            {
                var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
                var socket = await sockets.ConnectAsync(new IPEndPoint(addresses[0], context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            // Upstream's HTTPS probes skip verification (InsecureSkipVerify): a pod's certificate names no IP.
#pragma warning disable CA5359
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.UserAgent.ParseAdd("kube-probe/1.32");
        request.Headers.Accept.ParseAdd("*/*");
        foreach (var header in http.HttpHeaders ?? [])
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            int code = (int)response.StatusCode;
            if (code is >= 200 and < 400)
            {
                return ProbeOutcome.Ok;
            }

            return ProbeOutcome.Fail($"HTTP probe failed with statuscode: {code}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Fail($"Get \"{uri}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Fail($"Get \"{uri}\": {Dial(target.PodIp, port, e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException, e.Message)}");
        }
    }

    private async Task<ProbeOutcome> TcpAsync(V1TCPSocketAction tcp, ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string host = string.IsNullOrEmpty(tcp.Host) ? target.PodIp : tcp.Host;
        if (ResolvePort(tcp.Port, target.Container) is not { } port)
        {
            return ProbeOutcome.Fail($"unable to find port {tcp.Port.Value} in the container's ports");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var socket = await sockets.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), deadline.Token);
            return ProbeOutcome.Ok;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Fail($"dial tcp {host}:{port}: i/o timeout");
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Fail(Dial(host, port, e, e.Message));
        }
    }

    private static async Task<ProbeOutcome> ExecAsync(V1ExecAction exec, ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var command = exec.Command ?? [];
        if (command.Count == 0)
        {
            return ProbeOutcome.Fail("exec probe has no command");
        }

        string program = ProcessSpawner.FindExecutable(command[0], target.Environment) ?? command[0];
        Directory.CreateDirectory(target.ScratchDirectory);
        string outputPath = Path.Combine(target.ScratchDirectory, $"probe-{Guid.NewGuid():N}.out");
        try
        {
            SpawnedProcess process;
            using (SafeFileHandle output = File.OpenHandle(outputPath, FileMode.Create, FileAccess.Write))
            {
                try
                {
                    process = ProcessSpawner.Spawn(new SpawnRequest
                    {
                        Path = program,
                        ArgumentZero = command[0],
                        Arguments = [.. command.Skip(1)],
                        Environment = target.Environment,
                        WorkingDirectory = target.WorkingDirectory,
                        Namespaces = target.Namespaces,
                        StandardOutput = output,
                        StandardError = output,
                    });
                }
                catch (SpawnException e)
                {
                    return ProbeOutcome.Fail(e.Message);
                }
            }

            using (process)
            {
                int? code;
                try
                {
                    code = await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    process.Signal(9);
                    await process.WaitForExitAsync(CancellationToken.None);
                    return ProbeOutcome.Fail($"command \"{string.Join(' ', command)}\" timed out");
                }

                string text = ReadOutput(outputPath);
                return code == 0 ? ProbeOutcome.Ok : ProbeOutcome.Fail(text.Length > 0 ? text : $"command \"{string.Join(' ', command)}\" exited with {code}");
            }
        }
        finally
        {
            File.Delete(outputPath);
        }
    }

    private static string ReadOutput(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[MaxOutput];
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\n');
    }

    // Go's net.Dial error text: "dial tcp 10.0.0.5:80: connect: connection refused".
    private static string Dial(string host, int port, SocketException? e, string fallback) => e?.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"dial tcp {host}:{port}: connect: connection refused",
        SocketError.HostUnreachable => $"dial tcp {host}:{port}: connect: no route to host",
        SocketError.NetworkUnreachable => $"dial tcp {host}:{port}: connect: network is unreachable",
        SocketError.TimedOut => $"dial tcp {host}:{port}: i/o timeout",
        _ => $"dial tcp {host}:{port}: {e?.Message ?? fallback}",
    };
}
