using System.Text;

namespace Strata.Agent.Images;

/// <summary>What one nginx container's configuration depends on.</summary>
/// <param name="Ports">The TCP ports to listen on (the container's TCP containerPorts; 80 when it declares none).</param>
/// <param name="StateDirectory">The container's own directory: pid file, lock file and temp paths go there, not under /run or /var/lib/nginx.</param>
/// <param name="Root">The document root; Debian's nginx ships its "Welcome to nginx!" page there, as the image does.</param>
public sealed record NginxSite(IReadOnlyList<int> Ports, string StateDirectory, string Root = NginxSite.DebianRoot)
{
    public const string DebianRoot = "/usr/share/nginx/html";
}

/// <summary>
/// Renders the configuration that makes Debian's nginx behave as the <c>nginx</c> image does: the image's
/// /etc/nginx/nginx.conf and conf.d/default.conf, with its log files (symlinks to the container's stdout and
/// stderr in the image) written to stdout and stderr, one worker, and the state paths moved into the container's
/// directory. <c>daemon off;</c> is not in the file: the image's CMD passes it with <c>-g</c>, and so does Strata.
/// </summary>
public static class NginxConfig
{
    /// <summary>The image's access log format (<c>main</c>: nginx's <c>combined</c> plus X-Forwarded-For).</summary>
    public const string MainLogFormat =
        "'$remote_addr - $remote_user [$time_local] \"$request\" '\n" +
        "                      '$status $body_bytes_sent \"$http_referer\" '\n" +
        "                      '\"$http_user_agent\" \"$http_x_forwarded_for\"'";

    public static string Render(NginxSite site)
    {
        ArgumentNullException.ThrowIfNull(site);
        if (site.Ports.Count == 0)
        {
            throw new ArgumentException("nginx needs at least one port to listen on", nameof(site));
        }

        foreach (int port in site.Ports)
        {
            if (port is < 1 or > 65535)
            {
                throw new ArgumentException($"nginx cannot listen on port {port}: a port is 1-65535", nameof(site));
            }
        }

        string state = site.StateDirectory.TrimEnd('/');
        var text = new StringBuilder();
        text.Append("# Written by Strata: the nginx image's configuration for the host's Debian nginx.\n");
        text.Append("worker_processes  1;\n\n");
        text.Append("error_log  stderr notice;\n");
        text.Append($"pid        {state}/nginx.pid;\n");
        text.Append($"lock_file  {state}/nginx.lock;\n\n");
        text.Append("events {\n    worker_connections  1024;\n}\n\n");
        text.Append("http {\n");
        text.Append("    include       /etc/nginx/mime.types;\n");
        text.Append("    default_type  application/octet-stream;\n\n");
        text.Append($"    log_format  main  {MainLogFormat};\n\n");
        text.Append("    access_log  /dev/stdout  main;\n\n");
        foreach (string temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            text.Append($"    {temp}_temp_path  {state}/{temp}_temp;\n");
        }

        text.Append("\n    sendfile        on;\n");
        text.Append("    keepalive_timeout  65;\n\n");
        text.Append("    server {\n");
        foreach (int port in site.Ports.Distinct())
        {
            text.Append($"        listen       {port};\n");
        }

        text.Append("        server_name  localhost;\n\n");
        text.Append("        location / {\n");
        text.Append($"            root   {site.Root};\n");
        text.Append("            index  index.html index.htm;\n");
        text.Append("        }\n\n");
        text.Append("        error_page   500 502 503 504  /50x.html;\n");
        text.Append("        location = /50x.html {\n");
        text.Append($"            root   {site.Root};\n");
        text.Append("        }\n");
        text.Append("    }\n");
        text.Append("}\n");
        return text.ToString();
    }
}
