using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Http;

public sealed record WatchOptions(ListOptions List, string? ResourceVersion, bool AllowBookmarks, bool SendInitialEvents, string? TableIncludeObject);

/// <summary>
/// One watch response: newline-delimited <c>{"type":..,"object":..}</c> events over a chunked response
/// (k8s.io/apiserver/pkg/endpoints/handlers/watch.go), with the resourceVersion semantics of the API conventions:
/// unset or "0" starts with ADDED for every current object, N continues after revision N, a compacted N gets
/// an ERROR event with a 410 Expired Status. Events are filtered by the selectors with the object's previous
/// state, so an object that stops matching is seen DELETED and one that starts matching ADDED (as the watch cache does).
/// </summary>
internal sealed class WatchStream(ObjectRegistry registry, ResourceInfo resource, string? ns, WatchOptions options, ITableConverter? tables, ApiServerOptions serverOptions, TimeProvider time)
{
    private static readonly byte[] ClosingLine = "}\n"u8.ToArray();
    private long _lastRevision;
    private bool _sentHeaders;

    /// <summary>The conversion of stored objects to the watched version (a converted served version), or null.</summary>
    public Func<JsonObject, JsonObject>? Convert { get; init; }

    public async Task ServeAsync(HttpContext context, TimeSpan timeout)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeoutSource.CancelAfter(timeout);
        var ct = timeoutSource.Token;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";

        var initial = string.IsNullOrEmpty(options.ResourceVersion) || options.ResourceVersion == "0" || options.SendInitialEvents;
        long after;
        IReadOnlyList<JsonObject> initialObjects = [];
        if (initial && (string.IsNullOrEmpty(options.ResourceVersion) || options.ResourceVersion == "0"))
        {
            var list = await registry.ListAsync(resource, ns, options.List with { Limit = 0, Continue = null }, ct);
            initialObjects = list.Items;
            after = list.Revision;
        }
        else
        {
            after = ObjectMeta.ParseRevision(options.ResourceVersion, "resourceVersion");
            if (options.SendInitialEvents)
            {
                var list = await registry.ListAsync(resource, ns, options.List with { Limit = 0, Continue = null }, ct);
                initialObjects = list.Items;
                after = Math.Max(after, list.Revision);
            }
        }

        IWatchSubscription subscription;
        try
        {
            subscription = registry.Store.Watch(resource.Prefix(ns), after);
        }
        catch (RevisionCompactedException e)
        {
            await response.StartAsync(ct);
            await WriteEventAsync(response, "ERROR", ApiException.Gone(e.Message).ToStatus(), ct);
            return;
        }

        using (subscription)
        {
            await response.StartAsync(ct);
            _lastRevision = after;
            foreach (var obj in initialObjects)
            {
                await WriteEventAsync(response, "ADDED", Render(obj), ct);
            }

            if (options.SendInitialEvents && options.AllowBookmarks)
            {
                await WriteBookmarkAsync(response, initialEventsEnd: true, ct);
            }

            await response.Body.FlushAsync(ct);
            await PumpAsync(response, subscription, ct);
        }
    }

    private async Task PumpAsync(HttpResponse response, IWatchSubscription subscription, CancellationToken ct)
    {
        var reader = subscription.Events;
        var nextBookmark = time.GetUtcNow() + serverOptions.BookmarkInterval;
        Task<bool>? wait = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // One pending read at a time (the channel has a single reader); a bookmark may fire while it waits.
                wait ??= reader.WaitToReadAsync(ct).AsTask();
                if (options.AllowBookmarks)
                {
                    var delay = nextBookmark - time.GetUtcNow();
                    var completed = await Task.WhenAny(wait, Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, time, ct));
                    if (completed != wait)
                    {
                        await WriteBookmarkAsync(response, initialEventsEnd: false, ct);
                        await response.Body.FlushAsync(ct);
                        nextBookmark = time.GetUtcNow() + serverOptions.BookmarkInterval;
                        continue;
                    }
                }

                var more = await wait;
                wait = null;
                if (!more)
                {
                    return; // The store closed the stream (shutdown, or this watcher fell behind): the client re-lists.
                }

                while (reader.TryRead(out var e))
                {
                    if (Translate(e, options.List) is { } translated)
                    {
                        if (options.TableIncludeObject is null && Convert is null)
                        {
                            await WriteEventAsync(response, translated.Type, e.ValueJson, ct);
                        }
                        else
                        {
                            await WriteEventAsync(response, translated.Type, Render(translated.Object), ct);
                        }
                    }

                    _lastRevision = e.Revision;
                }

                await response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WatcherTooSlowException)
        {
        }
    }

    /// <summary>A store event as a watcher with these selectors sees it (null: not at all).</summary>
    internal static (string Type, JsonObject Object)? Translate(StoreEvent e, ListOptions list)
    {
        var nowMatches = e.Type != WatchEventType.Deleted && ObjectRegistry.Matches(e.Value, list);
        var wasMatching = e.Previous is not null && ObjectRegistry.Matches(e.Previous, list);
        return e.Type switch
        {
            WatchEventType.Deleted when wasMatching => ("DELETED", e.Value),
            WatchEventType.Added when nowMatches => ("ADDED", e.Value),
            WatchEventType.Modified when nowMatches && wasMatching => ("MODIFIED", e.Value),
            WatchEventType.Modified when nowMatches => ("ADDED", e.Value),
            WatchEventType.Modified when wasMatching => ("DELETED", e.Value),
            _ => null,
        };
    }

    private JsonObject Render(JsonObject obj)
    {
        if (options.TableIncludeObject is not { } include || tables is null)
        {
            return Convert is null ? obj : Convert(obj);
        }

        // Only the first event carries the column definitions, as upstream's watch encoder does.
        var table = tables.ToTable(resource, [obj], include, obj.ResourceVersion(), null, time.GetUtcNow(), noHeaders: _sentHeaders);
        _sentHeaders = true;
        return table;
    }

    private Task WriteBookmarkAsync(HttpResponse response, bool initialEventsEnd, CancellationToken ct)
    {
        var metadata = new JsonObject { ["resourceVersion"] = ResourceHandler.Revision(Math.Max(_lastRevision, registry.Store.Revision)), ["creationTimestamp"] = null };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        var bookmark = new JsonObject { ["kind"] = resource.Kind, ["apiVersion"] = resource.GroupVersion, ["metadata"] = metadata };
        return WriteEventAsync(response, "BOOKMARK", bookmark, ct);
    }

    private static Task WriteEventAsync(HttpResponse response, string type, JsonObject obj, CancellationToken ct) =>
        WriteEventAsync(response, type, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(obj), ct);

    /// <summary>One line, <c>{"type":"ADDED","object":{...}}</c>, around an already serialized object.</summary>
    private static async Task WriteEventAsync(HttpResponse response, string type, byte[] objectJson, CancellationToken ct)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":"), ct);
        await response.Body.WriteAsync(objectJson, ct);
        await response.Body.WriteAsync(ClosingLine, ct);
    }
}
