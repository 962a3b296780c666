using System.Text.Json.Nodes;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Http;

public sealed class WatchTests : IAsyncLifetime
{
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync(new ApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<(int, JsonObject)> CreateAsync(string name, JsonObject? labels = null) =>
        _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps",
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels } });

    /// <summary>Reads watch events from a chunked stream, one JSON object per line.</summary>
    private sealed class EventReader(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public static async Task<EventReader> OpenAsync(HttpClient http, string path)
        {
            var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            return new EventReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        public async Task<(string Type, JsonObject Object)> NextAsync(bool skipBookmarks = true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the watch ended");
                var e = JsonNode.Parse(line)!;
                var type = (string)e["type"]!;
                if (skipBookmarks && type == "BOOKMARK")
                {
                    continue;
                }

                return (type, e["object"]!.AsObject());
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;

    [Fact]
    public async Task A_watch_without_a_version_starts_with_the_current_objects_then_follows_changes()
    {
        await CreateAsync("before");
        using var watch = await EventReader.OpenAsync(_server.Http, "/api/v1/namespaces/default/configmaps?watch=true");
        Assert.Equal(("ADDED", "before"), Named(await watch.NextAsync()));

        await CreateAsync("after");
        await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/before");
        Assert.Equal(("ADDED", "after"), Named(await watch.NextAsync()));
        var deleted = await watch.NextAsync();
        Assert.Equal(("DELETED", "before"), Named(deleted));
    }

    [Fact]
    public async Task A_watch_from_a_list_version_sees_exactly_the_later_changes_with_selector_transitions()
    {
        await CreateAsync("x", new JsonObject { ["app"] = "web" });
        var (_, list) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps");
        var rv = (string)list["metadata"]!["resourceVersion"]!;

        using var watch = await EventReader.OpenAsync(_server.Http, $"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&labelSelector=app%3Dweb");
        await CreateAsync("y", new JsonObject { ["app"] = "db" });
        var (_, x) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/x");
        x["metadata"]!["labels"] = new JsonObject { ["app"] = "db" };
        await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/x", x);
        var (_, y) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/y");
        y["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/y", y);

        // x leaves the selection (DELETED), y enters it (ADDED); y's creation outside it is not seen.
        Assert.Equal(("DELETED", "x"), Named(await watch.NextAsync()));
        Assert.Equal(("ADDED", "y"), Named(await watch.NextAsync()));
    }

    [Fact]
    public async Task Watches_resume_after_a_restart_from_a_version_seen_before_it()
    {
        var (_, first) = await CreateAsync("one");
        var rv = (string)first["metadata"]!["resourceVersion"]!;
        await CreateAsync("two");
        await _server.RestartAsync();
        await CreateAsync("three");

        using var watch = await EventReader.OpenAsync(_server.Http, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}");
        Assert.Equal(("ADDED", "two"), Named(await watch.NextAsync()));
        Assert.Equal(("ADDED", "three"), Named(await watch.NextAsync()));
    }

    [Fact]
    public async Task A_compacted_version_gets_an_error_event_with_410_expired()
    {
        var (_, first) = await CreateAsync("a");
        await CreateAsync("b");
        await _server.Host.Store.CompactAsync(_server.Host.Store.Revision);

        using var watch = await EventReader.OpenAsync(_server.Http, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={first["metadata"]!["resourceVersion"]}");
        var (type, status) = await watch.NextAsync();
        Assert.Equal("ERROR", type);
        Assert.Equal(410, (int?)status["code"]);
        Assert.Equal("Expired", (string?)status["reason"]);
        Assert.StartsWith("too old resource version: ", (string?)status["message"]);
    }

    [Fact]
    public async Task Bookmarks_carry_the_latest_version_when_asked_for()
    {
        var (_, created) = await CreateAsync("a");
        using var watch = await EventReader.OpenAsync(_server.Http, $"/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion={created["metadata"]!["resourceVersion"]}");
        var (type, bookmark) = await watch.NextAsync(skipBookmarks: false);
        Assert.Equal("BOOKMARK", type);
        Assert.Equal("ConfigMap", (string?)bookmark["kind"]);
        Assert.Equal(created["metadata"]!["resourceVersion"]!.ToString(), (string?)bookmark["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task A_watch_ends_after_its_timeout()
    {
        using var watch = await EventReader.OpenAsync(_server.Http, "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=1");
        await Assert.ThrowsAsync<EndOfStreamException>(() => watch.NextAsync());
    }

    private static (string, string) Named((string Type, JsonObject Object) e) => (e.Type, Name(e.Object));
}
