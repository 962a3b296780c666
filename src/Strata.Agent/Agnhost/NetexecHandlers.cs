using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Strata.Agent.Agnhost;

/// <summary>netexec's HTTP endpoints, as upstream's ServeMux routes them (unknown paths get the root handler).</summary>
internal sealed class NetexecHandlers(NetexecOptions options, ILogger logger, NetexecServer server)
{
    private const string TextPlain = "text/plain; charset=utf-8";

    public async Task HandleAsync(HttpContext context)
    {
        var request = new NetexecRequest(context);
        if (options.HttpOverride.Length > 0)
        {
            request = request.Override(options.HttpOverride);
        }

        await request.LoadFormAsync();
        switch (request.Path)
        {
            case "/clientip":
                AgnhostLog.Request(logger, "GET", "/clientip");
                await WriteAsync(context, GoFormat.Endpoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort));
                break;
            case "/header":
                await HeaderAsync(context, request);
                break;
            case "/dial":
                await DialAsync(context, request);
                break;
            case "/echo":
                await EchoAsync(context, request);
                break;
            case "/exit":
                await ExitAsync(context, request);
                break;
            case "/healthz":
                AgnhostLog.Request(logger, "GET", "/healthz");
                context.Response.StatusCode = server.Ready ? StatusCodes.Status200OK : StatusCodes.Status412PreconditionFailed;
                break;
            case "/readyz":
                AgnhostLog.Request(logger, "GET", "/readyz");
                if (server.Terminating)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    await WriteAsync(context, "shutting down");
                }
                else if (server.Ready)
                {
                    await WriteAsync(context, "ok");
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status412PreconditionFailed;
                }

                break;
            case "/hostname":
            case "/hostName":
                AgnhostLog.Request(logger, "GET", request.Path);
                await WriteAsync(context, Dns.GetHostName());
                break;
            case "/redirect":
                await RedirectAsync(context, request);
                break;
            case "/shell":
                await ShellAsync(context, request);
                break;
            case "/upload":
                await UploadAsync(context, request);
                break;
            case "/shutdown":
                AgnhostLog.Request(logger, "GET", "/shutdown");
                server.RequestExit(new ExitRequest(0, TimeSpan.Zero));
                break;
            default:
                AgnhostLog.Request(logger, "GET", "/");
                await WriteAsync(context, "NOW: " + GoFormat.Time(DateTimeOffset.Now, server.Uptime.Elapsed));
                break;
        }
    }

    private async Task EchoAsync(HttpContext context, NetexecRequest request)
    {
        string msg = request.FormValue("msg");
        string code = request.FormValue("code");
        AgnhostLog.Request(logger, "GET", $"/echo?msg={msg}&code={code}");
        if (code.Length > 0)
        {
            if (!int.TryParse(code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int status))
            {
                await WriteAsync(context, $"argument 'code' must be an integer or empty, got {GoFormat.Quote(code)}\n");
                return;
            }

            context.Response.StatusCode = status;
        }

        await WriteAsync(context, msg);
    }

    private async Task HeaderAsync(HttpContext context, NetexecRequest request)
    {
        string key = request.FormValue("key");
        if (key.Length > 0)
        {
            AgnhostLog.Request(logger, "GET", $"/header?key={key}");
            await WriteAsync(context, context.Request.Headers.TryGetValue(key, out var value) ? value[0] ?? "" : "");
            return;
        }

        AgnhostLog.Request(logger, "GET", "/header");
        var headers = context.Request.Headers
            .Where(h => !string.Equals(h.Key, "Host", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, IReadOnlyList<string>>(CanonicalHeader(h.Key), h.Value.Select(v => v ?? "").ToList()));
        await WriteAsync(context, GoFormat.JsonObject(headers));
    }

    private async Task DialAsync(HttpContext context, NetexecRequest request)
    {
        string host = request.Query("host");
        string port = request.Query("port");
        string what = request.Query("request");
        string protocol = request.Query("protocol");
        string triesText = request.Query("tries");
        AgnhostLog.Request(logger, "GET", $"/dial?host={host}&protocol={protocol}&port={port}&request={what}&tries={triesText}");
        int tries = 1;
        if (triesText.Length > 0 && !int.TryParse(triesText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out tries))
        {
            await ErrorAsync(context, $"tries parameter is invalid. strconv.Atoi: parsing {GoFormat.Quote(triesText)}: invalid syntax", StatusCodes.Status400BadRequest);
            return;
        }

        if (what.Length == 0)
        {
            await ErrorAsync(context, "request parameter not specified. <nil>", StatusCodes.Status400BadRequest);
            return;
        }

        Func<string, IPEndPoint, CancellationToken, Task<string>> dialer;
        switch (protocol.ToLowerInvariant())
        {
            case "" or "http":
                dialer = NetexecDial.HttpAsync;
                protocol = "tcp";
                break;
            case "udp":
                dialer = NetexecDial.UdpAsync;
                break;
            default:
                await ErrorAsync(context, $"unsupported protocol. {protocol}", StatusCodes.Status400BadRequest);
                return;
        }

        IPEndPoint target;
        try
        {
            target = await NetexecDial.ResolveAsync(protocol, host, port, context.RequestAborted);
        }
        catch (NetexecDialException e)
        {
            await ErrorAsync(context, $"host and/or port param are invalid. {e.Message}", StatusCodes.Status400BadRequest);
            return;
        }

        var responses = new List<string>();
        var errors = new List<string>();
        string response = "";
        for (int i = 0; i < tries; i++)
        {
            try
            {
                response = await dialer(what, target, context.RequestAborted);
                responses.Add(response);
            }
            catch (NetexecDialException e)
            {
                response = "";
                errors.Add(e.Message);
            }
        }

        var output = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (response.Length > 0)
        {
            output.Add(new("responses", responses));
        }

        if (errors.Count > 0)
        {
            output.Add(new("errors", errors));
        }

        await WriteAsync(context, GoFormat.JsonObject(output));
    }

    private async Task ExitAsync(HttpContext context, NetexecRequest request)
    {
        string waitText = request.FormValue("wait");
        string timeoutText = request.FormValue("timeout");
        string codeText = request.FormValue("code");
        AgnhostLog.Request(logger, "GET", $"/exit?code={codeText}&timeout={timeoutText}&wait={waitText}");
        TimeSpan timeout = TimeSpan.Zero, wait = TimeSpan.Zero;
        if (timeoutText.Length > 0 && !GoFormat.TryParseDuration(timeoutText, out timeout))
        {
            await WriteAsync(context, $"argument 'timeout' must be a valid golang duration or empty, got {GoFormat.Quote(timeoutText)}\n");
            return;
        }

        if (waitText.Length > 0 && !GoFormat.TryParseDuration(waitText, out wait))
        {
            await WriteAsync(context, $"argument 'wait' must be a valid golang duration or empty, got {GoFormat.Quote(waitText)}\n");
            return;
        }

        int code = 0;
        if (codeText.Length > 0 && !int.TryParse(codeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out code))
        {
            await WriteAsync(context, $"argument 'code' must be an integer [0-127] or empty, got {GoFormat.Quote(codeText)}\n");
            return;
        }

        AgnhostLog.WillShutDown(logger, GoFormat.Duration(wait), GoFormat.Duration(timeout), code);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        server.RequestExit(new ExitRequest(code, timeout));
    }

    private async Task RedirectAsync(HttpContext context, NetexecRequest request)
    {
        string location = request.FormValue("location");
        string codeText = request.FormValue("code");
        AgnhostLog.Request(logger, context.Request.Method, $"/redirect?msg={location}&code={codeText}");
        int code = StatusCodes.Status302Found;
        if (codeText.Length > 0 && !int.TryParse(codeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out code))
        {
            await WriteAsync(context, $"argument 'code' must be an integer or empty, got {GoFormat.Quote(codeText)}\n");
            return;
        }

        context.Response.StatusCode = code;
        context.Response.Headers.Location = location;
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            string reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code);
            await context.Response.WriteAsync($"<a href=\"{WebUtility.HtmlEncode(location)}\">{reason}</a>.\n\n");
        }
    }

    private async Task ShellAsync(HttpContext context, NetexecRequest request)
    {
        string command = request.FormValue("shellCommand");
        if (command.Length == 0)
        {
            command = request.FormValue("cmd");
        }

        AgnhostLog.Request(logger, "GET", $"/shell?cmd={command}");
        var (output, error) = await RunShellAsync(options.ShellPath, command);
        var result = new List<KeyValuePair<string, string>>();
        if (output.Length > 0)
        {
            result.Add(new("output", output));
        }

        if (error is not null)
        {
            result.Add(new("error", error));
        }

        AgnhostLog.ShellOutput(logger, "map[" + string.Join(" ", result.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + ":" + p.Value)) + "]");
        await WriteAsync(context, GoFormat.JsonObject(result));
    }

    /// <summary>Runs <c>SHELL -c COMMAND</c> with stdout and stderr combined, as Go's CombinedOutput; the error as Go's exec words it.</summary>
    internal static async Task<(string Output, string? Error)> RunShellAsync(string shell, string command)
    {
        // One pipe for both streams, so their interleaving is kept: the shell sends stderr into stdout, then runs the command.
        var start = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = false, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec 2>&1; __netexec_cmd=$1; shift; eval \"$__netexec_cmd\"");
        start.ArgumentList.Add(shell);
        start.ArgumentList.Add(command);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return ("", $"fork/exec {shell}: {e.Message.ToLowerInvariant()}");
        }

        using (process)
        {
            process.StandardInput.Close();
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            string? error = process.ExitCode == 0 ? null : $"exit status {process.ExitCode}";
            return (output, error);
        }
    }

    private async Task UploadAsync(HttpContext context, NetexecRequest request)
    {
        AgnhostLog.Request(logger, "GET", "/upload");
        var file = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync()).Files.GetFile("file") : null;
        if (file is null)
        {
            await WriteAsync(context, GoFormat.JsonObject([new KeyValuePair<string, string>("error", "Unable to upload file.")]));
            return;
        }

        string path;
        try
        {
            path = Path.Combine(options.UploadDirectory, "upload" + Random.Shared.NextInt64(1_000_000_000L, 9_999_999_999L).ToString(CultureInfo.InvariantCulture));
            await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                await file.CopyToAsync(stream);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await WriteAsync(context, GoFormat.JsonObject([new KeyValuePair<string, string>("error", "Unable to open file for write")]));
            return;
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        await WriteAsync(context, GoFormat.JsonObject([new KeyValuePair<string, string>("output", path)]));
    }

    private static Task WriteAsync(HttpContext context, string body)
    {
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync(body);
    }

    /// <summary>Go's http.Error: the message and a newline, text/plain, nosniff.</summary>
    private static Task ErrorAsync(HttpContext context, string message, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return WriteAsync(context, message + "\n");
    }

    /// <summary>Go's textproto.CanonicalMIMEHeaderKey: <c>user-agent</c> is <c>User-Agent</c>.</summary>
    internal static string CanonicalHeader(string key)
    {
        var text = new StringBuilder(key.Length);
        bool upper = true;
        foreach (char c in key)
        {
            text.Append(upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            upper = c == '-';
        }

        return text.ToString();
    }
}

/// <summary>A request's path, query and form, which --http-override replaces with its own path and query.</summary>
internal sealed class NetexecRequest(HttpContext context)
{
    private IQueryCollection _query = context.Request.Query;
    private IFormCollection? _form;
    private bool _overridden;

    public string Path { get; private set; } = context.Request.Path.Value ?? "/";

    public NetexecRequest Override(string target)
    {
        int question = target.IndexOf('?');
        Path = question >= 0 ? target[..question] : target;
        _query = new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(question >= 0 ? target[question..] : ""));
        _overridden = true;
        return this;
    }

    public async Task LoadFormAsync()
    {
        if (!_overridden && context.Request.HasFormContentType && Path != "/upload")
        {
            _form = await context.Request.ReadFormAsync();
        }
    }

    /// <summary>Go's Request.FormValue: the body's form value first, then the query's.</summary>
    public string FormValue(string key)
    {
        if (_form is not null && _form.TryGetValue(key, out StringValues body) && body.Count > 0)
        {
            return body[0] ?? "";
        }

        return Query(key);
    }

    public string Query(string key) => _query.TryGetValue(key, out StringValues value) && value.Count > 0 ? value[0] ?? "" : "";
}
