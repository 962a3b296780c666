using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Strata.Agent.Server;

/// <summary>
/// <c>GET /containerLogs/NS/POD/CONTAINER</c>: a container's log file as plain text, as the kubelet serves it
/// (server.go getContainerLogs, kuberuntime/logs ReadLogs): <c>tailLines</c> counts complete lines back from the
/// end, <c>limitBytes</c> caps the bytes written (timestamps included), <c>follow</c> keeps sending what is
/// appended until the client goes away, the container stops, or its log is replaced by a new instance's.
/// The files hold no time per line, so <c>sinceSeconds</c>/<c>sinceTime</c> keep the existing lines only when the
/// file was last written at or after that time (new lines while following are always after it), and
/// <c>timestamps</c> prefixes each line with the time it was read (see <see cref="TimestampPrefixer"/>).
/// </summary>
internal sealed class ContainerLogStreamer(IContainerLocator locator, TimeSpan followInterval, TimeProvider time, ILogger logger)
{
    private const int ChunkSize = 32 * 1024;

    public async Task ServeAsync(HttpContext context, KubeletPath target)
    {
        var request = context.Request;
        var parsed = LogOptions.Parse(name => request.Query[name].Select(v => v ?? "").ToList());
        if (parsed.Options is not { } options)
        {
            await WriteTextAsync(context, parsed.Status, parsed.Error!);
            return;
        }

        var location = locator.Find(target.Namespace, target.Pod, target.Container);
        if (location is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"container \"{target.Container}\" not found in pod \"{target.Pod}\"");
            return;
        }

        var path = options.Previous ? location.PreviousLogPath : location.CurrentLogPath;
        if (path is null)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, options.Previous
                ? $"previous terminated container \"{target.Container}\" in pod \"{target.Pod}\" not found"
                : $"container \"{target.Container}\" in pod \"{target.Pod}\" is waiting to start");
            return;
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, $"failed to open log file \"{path}\": {e.Message}");
            return;
        }

        await using (file)
        {
            var reason = await StreamAsync(context, target, options, path, file);
            KubeletServerLog.LogStreamEnded(logger, target.Namespace, target.Pod, target.Container, path, options.Follow, reason);
        }
    }

    private async Task<string> StreamAsync(HttpContext context, KubeletPath target, LogOptions options, string path, FileStream file)
    {
        var ct = context.RequestAborted;
        var start = 0L;
        if (options.Since(time.GetUtcNow()) is { } since && File.GetLastWriteTimeUtc(path) < since.UtcDateTime)
        {
            start = file.Length;
        }

        if (options.TailLines is { } tail)
        {
            start = Math.Max(start, LogTail.FindStart(file, tail));
        }

        file.Position = start;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(ct);

        var writer = new LogWriter(context.Response.Body, options, time);
        try
        {
            if (!await writer.CopyAvailableAsync(file, ct))
            {
                return "limitBytes reached";
            }

            if (!options.Follow || options.Previous)
            {
                return "end of file";
            }

            while (true)
            {
                await Task.Delay(followInterval, time, ct);
                var before = file.Position;
                if (!await writer.CopyAvailableAsync(file, ct))
                {
                    return "limitBytes reached";
                }

                if (file.Position != before)
                {
                    continue;
                }

                if (file.Length < file.Position)
                {
                    return "the log was truncated";
                }

                var now = locator.Find(target.Namespace, target.Pod, target.Container);
                if (now is null || now.CurrentLogPath != path || !now.Running)
                {
                    // Whatever was written before the container ended, then stop, as kubelet does.
                    await writer.CopyAvailableAsync(file, ct);
                    return now is null ? "the container is gone" : now.CurrentLogPath != path ? "the log was replaced" : "the container stopped";
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return "the client went away";
        }
        catch (IOException) when (ct.IsCancellationRequested)
        {
            return "the client went away";
        }
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    /// <summary>Copies log bytes to the response, with the byte limit and the timestamp prefixes applied, flushing each chunk.</summary>
    private sealed class LogWriter(Stream output, LogOptions options, TimeProvider time)
    {
        private readonly byte[] _buffer = new byte[ChunkSize];
        private readonly ArrayBufferWriter<byte> _transformed = new();
        private readonly TimestampPrefixer? _prefixer = options.Timestamps ? new TimestampPrefixer() : null;
        private long _remaining = options.LimitBytes ?? long.MaxValue;

        /// <summary>Copies up to the current end of the file; false once the limit is reached.</summary>
        public async Task<bool> CopyAvailableAsync(FileStream file, CancellationToken ct)
        {
            while (_remaining > 0)
            {
                var read = await file.ReadAsync(_buffer, ct);
                if (read == 0)
                {
                    return true;
                }

                ReadOnlyMemory<byte> chunk = _buffer.AsMemory(0, read);
                if (_prefixer is not null)
                {
                    _transformed.ResetWrittenCount();
                    _prefixer.Transform(chunk.Span, time.GetUtcNow(), _transformed);
                    chunk = _transformed.WrittenMemory;
                }

                if (chunk.Length > _remaining)
                {
                    chunk = chunk[..(int)_remaining];
                }

                _remaining -= chunk.Length;
                await output.WriteAsync(chunk, ct);
                await output.FlushAsync(ct);
            }

            return false;
        }
    }
}
