using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.ApiServer.Http;
using Strata.ApiServer.Resources;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// The whole HTTP surface: authentication, health and version, discovery, OpenAPI, then resources; every error as a
/// metav1.Status.
/// </summary>
internal sealed class ApiDispatcher(ResourceHandler resources, ResourceCatalog catalog, Authentication.RequestAuthenticator authenticator, IOpenApiSource? openApi, ILogger logger)
{
    private static readonly HashSet<string> PublicPaths = ["/healthz", "/livez", "/readyz", "/version"];

    /// <summary>
    /// version.Info: the Kubernetes API level served (v1.32, whose OpenAPI documents and rules are followed), with
    /// Strata's own version and commit from the assembly (the SDK stamps the commit after a '+').
    /// </summary>
    public static JsonObject VersionInfo { get; } = BuildVersionInfo();

    private static JsonObject BuildVersionInfo()
    {
        var informational = typeof(ApiDispatcher).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+');
        var strataVersion = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "" : informational[(plus + 1)..];
        return new JsonObject
        {
            ["major"] = "1",
            ["minor"] = "32",
            ["gitVersion"] = $"v1.32.0-strata.{strataVersion}",
            ["gitCommit"] = commit,
            ["gitTreeState"] = "",
            ["buildDate"] = "",
            ["goVersion"] = $"dotnet{Environment.Version}",
            ["compiler"] = "dotnet",
            ["platform"] = $"linux/{(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64")}",
        };
    }

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        try
        {
            if (!PublicPaths.Contains(path.TrimEnd('/')) &&
                await authenticator.AuthenticateAsync(context.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, context.RequestAborted) is { Succeeded: false } refused)
            {
                ApiServerLog.Unauthenticated(logger, context.Request.Method, path, refused.Error ?? "");
                await ResourceHandler.WriteAsync(context, 401, ApiException.Status(401, "Unauthorized", "Unauthorized", null));
                return;
            }

            await RouteAsync(context, path);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(context, e);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            ApiServerLog.RequestFailed(logger, context.Request.Method, path, e);
            await WriteErrorAsync(context, ApiException.Internal(e.Message));
        }
    }

    private async Task RouteAsync(HttpContext context, string path)
    {
        var accept = context.Request.Headers.Accept.ToString();
        var trimmed = path.TrimEnd('/');
        switch (trimmed)
        {
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok");
                return;
            case "/version":
                await ResourceHandler.WriteAsync(context, 200, VersionInfo.DeepClone());
                return;
            case "" or "/":
                await ResourceHandler.WriteAsync(context, 200, RootPaths());
                return;
            case "/api" when Discovery.WantsAggregated(accept):
                await ResourceHandler.WriteAsync(context, 200, Discovery.Aggregated(catalog, legacy: true), Discovery.AggregatedContentType);
                return;
            case "/api":
                await ResourceHandler.WriteAsync(context, 200, Discovery.ApiVersions($"{context.Request.Host}"));
                return;
            case "/apis" when Discovery.WantsAggregated(accept):
                await ResourceHandler.WriteAsync(context, 200, Discovery.Aggregated(catalog, legacy: false), Discovery.AggregatedContentType);
                return;
            case "/apis":
                await ResourceHandler.WriteAsync(context, 200, Discovery.GroupList(catalog));
                return;
        }

        if (trimmed.StartsWith("/openapi/", StringComparison.Ordinal) && openApi is not null)
        {
            await openApi.ServeAsync(context, trimmed);
            return;
        }

        var segments = trimmed.Trim('/').Split('/');
        JsonObject? discovery = segments switch
        {
            ["api", var v] => Discovery.ResourceList(catalog, "", v),
            ["apis", var g] => Discovery.Group(catalog, g),
            ["apis", var g, var v] => Discovery.ResourceList(catalog, g, v),
            _ => null,
        };
        if (discovery is not null)
        {
            await ResourceHandler.WriteAsync(context, 200, discovery);
            return;
        }

        var apiPath = ApiPath.Parse(trimmed) ?? throw ApiException.NotFound("the server could not find the requested resource");
        await resources.HandleAsync(context, apiPath);
    }

    private JsonObject RootPaths()
    {
        var paths = new List<string> { "/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v2", "/openapi/v3", "/readyz", "/version" };
        foreach (var (group, versions) in catalog.Groups().Where(g => g.Group.Length > 0))
        {
            paths.Add($"/apis/{group}");
            paths.AddRange(versions.Select(v => $"/apis/{group}/{v}"));
        }

        paths.Sort(StringComparer.Ordinal);
        return new JsonObject { ["paths"] = new JsonArray(paths.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()) };
    }

    private static async Task WriteErrorAsync(HttpContext context, ApiException e)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        await ResourceHandler.WriteAsync(context, e.Code, e.ToStatus());
    }
}

/// <summary>Serves <c>/openapi/v2</c> and <c>/openapi/v3/...</c>.</summary>
public interface IOpenApiSource
{
    Task ServeAsync(HttpContext context, string path);
}

internal static partial class ApiServerLog
{
    [LoggerMessage(1, LogLevel.Error, "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(2, LogLevel.Information, "serving the Kubernetes API on {Addresses}, data in {DataDirectory}")]
    public static partial void Serving(ILogger logger, string addresses, string dataDirectory);

    [LoggerMessage(3, LogLevel.Information, "compacted the change log up to revision {Revision}")]
    public static partial void Compacted(ILogger logger, long revision);

    [LoggerMessage(4, LogLevel.Information, "{Method} {Path}: unauthorized: {Reason}")]
    public static partial void Unauthenticated(ILogger logger, string method, string path, string reason);
}
