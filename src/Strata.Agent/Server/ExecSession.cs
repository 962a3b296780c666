using System.IO.Pipes;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Agent.Runtime;

namespace Strata.Agent.Server;

/// <summary>
/// One <c>kubectl exec</c>: the command started in the container's namespaces with its environment and working
/// directory, its stdio joined to the channels (pipes, or a pseudo-terminal resized from channel 4), and its end
/// reported on the error channel before a normal close. If the client goes away first the command is killed, as
/// containerd kills an exec whose stream ended.
/// </summary>
internal sealed class ExecSession(ChannelConnection connection, KubeletPath target, ExecOptions options, ContainerLocation container, ILogger logger)
{
    private const int ChunkSize = 32 * 1024;
    private const int SIGKILL = 9;

    /// <summary>Runs the command to its end and reports it to the client; returns how it ended.</summary>
    public async Task<ExecStatus> RunAsync(CancellationToken aborted)
    {
        await SendReadyAsync(aborted);
        var status = await StartAndSuperviseAsync(aborted);
        if (status.Error is not null)
        {
            await ReportAsync(status, aborted);
            await DrainAsync(aborted);
        }

        return status;
    }

    /// <summary>After a failure to start: read to the client's answering close (briefly), so that it sees a clean end.</summary>
    private async Task DrainAsync(CancellationToken aborted)
    {
        await IgnoreFailuresAsync(ReceiveAsync(new InputSink((_, _) => ValueTask.CompletedTask, null, null), aborted).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    private async Task<ExecStatus> StartAndSuperviseAsync(CancellationToken aborted)
    {
        var environment = options.Tty && !container.Environment.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))
            ? [.. container.Environment, "TERM=xterm"]
            : container.Environment;
        var path = ProcessSpawner.FindExecutable(options.Command[0], environment);
        if (path is null)
        {
            return Failed(options.Command[0].Contains('/', StringComparison.Ordinal)
                ? $"exec: \"{options.Command[0]}\": stat {options.Command[0]}: no such file or directory"
                : $"exec: \"{options.Command[0]}\": executable file not found in $PATH");
        }

        SpawnRequest Request(SafeHandle? stdin = null, SafeHandle? stdout = null, SafeHandle? stderr = null, string? terminal = null) => new()
        {
            Path = path,
            ArgumentZero = options.Command[0],
            Arguments = [.. options.Command.Skip(1)],
            Environment = environment,
            WorkingDirectory = container.WorkingDirectory,
            Namespaces = container.Namespaces,
            StandardInput = stdin,
            StandardOutput = stdout,
            StandardError = stderr,
            Terminal = terminal,
        };

        return options.Tty ? await RunWithTerminalAsync(Request, aborted) : await RunWithPipesAsync(Request, aborted);
    }

    /// <summary>containerd's error for an exec that could not start, as kubectl shows it.</summary>
    private static ExecStatus Failed(string runcMessage)
    {
        var execId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return ExecStatus.Failed($"error executing command in container: failed to exec in container: failed to start exec \"{execId}\": OCI runtime exec failed: exec failed: unable to start container process: {runcMessage}: unknown");
    }

    /// <summary>kubelet's hello: an empty message on the lowest channel the client reads.</summary>
    private Task SendReadyAsync(CancellationToken ct) =>
        connection.SendAsync(options.Stdout ? ChannelProtocol.Stdout : options.Stderr ? ChannelProtocol.Stderr : ChannelProtocol.Error, ReadOnlyMemory<byte>.Empty, ct);

    private async Task<ExecStatus> RunWithPipesAsync(Func<SafeHandle?, SafeHandle?, SafeHandle?, string?, SpawnRequest> request, CancellationToken aborted)
    {
        using var stdin = options.Stdin ? new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None) : null;
        using var stdout = options.Stdout ? new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None) : null;
        using var stderr = options.Stderr ? new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None) : null;
        SpawnedProcess process;
        try
        {
            process = ProcessSpawner.Spawn(request(stdin?.ClientSafePipeHandle, stdout?.ClientSafePipeHandle, stderr?.ClientSafePipeHandle, null));
        }
        catch (SpawnException e)
        {
            return Failed(SpawnMessage(e, options.Command[0]));
        }
        finally
        {
            // Only the child holds the far ends now, so our reads see EOF when it (and its children) are done.
            stdin?.DisposeLocalCopyOfClientHandle();
            stdout?.DisposeLocalCopyOfClientHandle();
            stderr?.DisposeLocalCopyOfClientHandle();
        }

        using (process)
        {
            var input = new InputSink(
                (data, ct) => stdin is null ? ValueTask.CompletedTask : stdin.WriteAsync(data, ct),
                () => stdin?.Dispose(),
                null);
            var pumps = new[] { PumpAsync(stdout, ChannelProtocol.Stdout, aborted), PumpAsync(stderr, ChannelProtocol.Stderr, aborted) };
            return await SuperviseAsync(process, input, Task.WhenAll(pumps), aborted);
        }
    }

    private async Task<ExecStatus> RunWithTerminalAsync(Func<SafeHandle?, SafeHandle?, SafeHandle?, string?, SpawnRequest> request, CancellationToken aborted)
    {
        using var terminal = PseudoTerminal.Open();
        SpawnedProcess process;
        try
        {
            process = ProcessSpawner.Spawn(request(null, null, null, terminal.SlavePath));
        }
        catch (SpawnException e)
        {
            return Failed(SpawnMessage(e, options.Command[0]));
        }

        using (process)
        using (var toTerminal = new FileStream(terminal.Master, FileAccess.Write, 0))
        {
            var input = new InputSink(
                (data, ct) =>
                {
                    toTerminal.Write(data.Span);
                    return ValueTask.CompletedTask;
                },
                null,
                size => terminal.Resize(size.Width, size.Height));
            var output = options.Stdout ? Task.Run(() => PumpTerminalAsync(terminal.Master, process, aborted), CancellationToken.None) : Task.CompletedTask;
            return await SuperviseAsync(process, input, output, aborted);
        }
    }

    /// <summary>
    /// Feeds input until the process exits and its output is drained, then reports the status and closes; kills the
    /// process if the client goes away first. The receive loop runs to the client's answering close: cancelling a
    /// WebSocket receive would abort the connection before the status is sent.
    /// </summary>
    private async Task<ExecStatus> SuperviseAsync(SpawnedProcess process, InputSink input, Task output, CancellationToken aborted)
    {
        var receiving = ReceiveAsync(input, aborted);
        var exited = process.WaitForExitAsync(CancellationToken.None);
        var first = await Task.WhenAny(exited, receiving);
        if (first == receiving && !exited.IsCompleted)
        {
            // The client left (or broke the connection) while the command ran.
            KubeletServerLog.ExecAbandoned(logger, target.Namespace, target.Pod, target.Container, string.Join(' ', options.Command), process.Pid);
            process.Signal(SIGKILL);
            var killed = await exited ?? 128 + SIGKILL;
            await IgnoreFailuresAsync(output);
            return ExecStatus.Exited(killed);
        }

        var status = ExecStatus.Exited(await exited ?? 0);
        await IgnoreFailuresAsync(output);
        await ReportAsync(status, aborted);
        await IgnoreFailuresAsync(receiving.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        return status;
    }

    /// <summary>The status on the error channel (v4+: always; before: failures only), then a normal close.</summary>
    public async Task ReportAsync(ExecStatus status, CancellationToken aborted)
    {
        try
        {
            if (status.Payload(connection.Protocol, options.Command) is { } payload)
            {
                await connection.SendAsync(ChannelProtocol.Error, payload, aborted);
            }

            await connection.CloseAsync(aborted);
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or OperationCanceledException)
        {
        }
    }

    private static async Task IgnoreFailuresAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
        }
    }

    /// <summary>The client's side: stdin data, v5's close of stdin, and resizes. Ends when the client closes or breaks the connection.</summary>
    private async Task ReceiveAsync(InputSink input, CancellationToken ct)
    {
        try
        {
            while (await connection.ReceiveAsync(ct) is { } message)
            {
                switch (message.Channel)
                {
                    case ChannelProtocol.Stdin when options.Stdin:
                        try
                        {
                            await input.Write(message.Data, ct);
                        }
                        catch (IOException)
                        {
                            // The command closed its stdin (or ended): drop the rest, as a broken pipe would.
                        }

                        break;
                    case ChannelProtocol.Resize when options.Tty && input.Resize is not null:
                        if (TerminalSize.Parse(message.Data) is { } size)
                        {
                            input.Resize(size);
                        }

                        break;
                    case ChannelProtocol.Close when connection.Protocol.Version >= 5 && message.ClosedChannel == ChannelProtocol.Stdin:
                        input.Close?.Invoke();
                        break;
                }
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException && !ct.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAsync(Stream? source, byte channel, CancellationToken ct)
    {
        if (source is null)
        {
            return;
        }

        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await source.ReadAsync(buffer, ct)) > 0)
        {
            await connection.SendAsync(channel, buffer.AsMemory(0, read), ct);
        }
    }

    /// <summary>The terminal's output until every holder of the slave has gone (the master then reads EIO).</summary>
    private async Task PumpTerminalAsync(SafeFileHandle master, SpawnedProcess process, CancellationToken ct)
    {
        var buffer = new byte[ChunkSize];
        using var fromTerminal = new FileStream(master, FileAccess.Read, 0);
        while (true)
        {
            int read;
            try
            {
                read = fromTerminal.Read(buffer);
            }
            catch (IOException)
            {
                // EIO: no process holds the slave (any more, or not yet).
                if (process.HasExited)
                {
                    return;
                }

                await Task.Delay(10, ct);
                continue;
            }

            if (read == 0)
            {
                return;
            }

            await connection.SendAsync(ChannelProtocol.Stdout, buffer.AsMemory(0, read), ct);
        }
    }

    /// <summary>runc's words for a program that would not start.</summary>
    private static string SpawnMessage(SpawnException e, string command) => e.Errno switch
    {
        2 => $"exec: \"{command}\": stat {command}: no such file or directory",
        13 => $"exec: \"{command}\": permission denied",
        _ => $"exec: \"{command}\": {e.Message}",
    };

    private sealed record InputSink(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> Write, Action? Close, Action<TerminalSize>? Resize);
}
