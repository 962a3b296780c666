using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Http;

public sealed class ApiServerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject ConfigMap(string name, string value = "1", string? ns = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = ns is null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["data"] = new JsonObject { ["k"] = value },
    };

    [Fact]
    public async Task Requests_without_the_token_are_refused_but_health_and_version_are_public()
    {
        using var anonymous = TestApiServer.CreateClient(_server.Host);
        anonymous.DefaultRequestHeaders.Authorization = null;
        var denied = await anonymous.GetAsync("/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Contains("\"reason\":\"Unauthorized\"", await denied.Content.ReadAsStringAsync());

        foreach (var path in new[] { "/healthz", "/livez", "/readyz" })
        {
            Assert.Equal("ok", await anonymous.GetStringAsync(path));
        }

        var version = JsonNode.Parse(await anonymous.GetStringAsync("/version"))!;
        Assert.Equal("1", (string?)version["major"]);
        Assert.StartsWith("v1.32.", (string?)version["gitVersion"]);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_serving_certificate_carries_the_lab_and_in_cluster_names_and_chains_to_the_ca()
    {
        var certificate = _server.Host.Credentials.ServingCertificate;
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(
            ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost"],
            san.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1", "172.19.0.2", "10.233.0.1"], san.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Equal(_server.Host.Credentials.CaCertificate.Subject, certificate.Issuer);

        var kubeconfig = File.ReadAllText(_server.Host.KubeconfigPath);
        Assert.Contains($"server: {_server.Address.GetLeftPart(UriPartial.Authority)}", kubeconfig);
        Assert.Contains($"token: {_server.Host.Credentials.Token}", kubeconfig);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.Host.KubeconfigPath));
    }

    [Fact]
    public async Task Credentials_are_made_once_and_reused_after_a_restart()
    {
        var token = _server.Host.Credentials.Token;
        var thumbprint = _server.Host.Credentials.ServingCertificate.Thumbprint;
        await _server.RestartAsync();
        Assert.Equal(token, _server.Host.Credentials.Token);
        Assert.Equal(thumbprint, _server.Host.Credentials.ServingCertificate.Thumbprint);
    }

    [Fact]
    public async Task Crud_answers_with_upstreams_codes_and_messages()
    {
        var (status, created) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMap("c"));
        Assert.Equal(201, status);
        Assert.Equal("default", (string?)created["metadata"]!["namespace"]);
        Assert.True(Guid.TryParse((string?)created["metadata"]!["uid"], out _));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)created["metadata"]!["creationTimestamp"]);
        var rv = (string)created["metadata"]!["resourceVersion"]!;

        var (dupStatus, dup) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMap("c"));
        Assert.Equal(409, dupStatus);
        Assert.Equal("configmaps \"c\" already exists", (string?)dup["message"]);
        Assert.Equal("AlreadyExists", (string?)dup["reason"]);

        var update = ConfigMap("c", "2");
        update["metadata"]!["resourceVersion"] = rv;
        var (okStatus, updated) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/c", update);
        Assert.Equal(200, okStatus);
        Assert.NotEqual(rv, (string?)updated["metadata"]!["resourceVersion"]);

        var stale = ConfigMap("c", "3");
        stale["metadata"]!["resourceVersion"] = rv;
        var (conflictStatus, conflict) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/c", stale);
        Assert.Equal(409, conflictStatus);
        Assert.Equal("Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again", (string?)conflict["message"]);

        var (_, current) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/c");
        Assert.Equal("2", (string?)current["data"]!["k"]);

        var (deleteStatus, _) = await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/c");
        Assert.Equal(200, deleteStatus);
        var (goneStatus, gone) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/c");
        Assert.Equal(404, goneStatus);
        Assert.Equal("configmaps \"c\" not found", (string?)gone["message"]);
        Assert.Equal("c", (string?)gone["details"]!["name"]);
        Assert.Equal("configmaps", (string?)gone["details"]!["kind"]);
    }

    [Fact]
    public async Task Bad_requests_name_what_is_wrong_and_store_nothing()
    {
        var before = _server.Host.Store.Revision;
        var cases = new (string Path, JsonObject Body, int Status, string Message)[]
        {
            ("/api/v1/namespaces/nope/configmaps", ConfigMap("c"), 404, "namespaces \"nope\" not found"),
            ("/api/v1/namespaces/default/configmaps", ConfigMap("c", ns: "kube-system"), 400, "the namespace of the provided object does not match the namespace sent on the request"),
            ("/api/v1/namespaces/default/configmaps", new JsonObject { ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "x" } }, 400, "the kind in the data (Secret) does not match the expected kind (ConfigMap)"),
            ("/api/v1/namespaces/default/configmaps", new JsonObject { ["apiVersion"] = "apps/v1", ["metadata"] = new JsonObject { ["name"] = "x" } }, 400, "the API version in the data (apps/v1) does not match the expected API version (v1)"),
            ("/api/v1/namespaces/default/configmaps", new JsonObject { ["metadata"] = new JsonObject() }, 422, "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required"),
        };
        foreach (var (path, body, status, message) in cases)
        {
            var (actualStatus, error) = await _server.SendAsync(HttpMethod.Post, path, body);
            Assert.Equal((status, message), (actualStatus, (string?)error["message"]));
            Assert.Equal("Failure", (string?)error["status"]);
        }

        using var notJson = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var response = await _server.Http.PostAsync("/api/v1/namespaces/default/configmaps", notJson);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the request body is not valid JSON", await response.Content.ReadAsStringAsync());

        using var badYaml = new StringContent("metadata: {name: [unclosed\n", System.Text.Encoding.UTF8);
        badYaml.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/yaml");
        var yamlResponse = await _server.Http.PostAsync("/api/v1/namespaces/default/configmaps", badYaml);
        Assert.Equal(HttpStatusCode.BadRequest, yamlResponse.StatusCode);
        Assert.Contains("error converting YAML to JSON", await yamlResponse.Content.ReadAsStringAsync());

        using var goodYaml = new StringContent("metadata: {name: from-yaml}\ndata: {k: v}\n", System.Text.Encoding.UTF8);
        goodYaml.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/yaml");
        var created = await _server.Http.PostAsync("/api/v1/namespaces/default/configmaps?dryRun=All", goodYaml);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var badProtobuf = new ByteArrayContent([(byte)'k', (byte)'8', (byte)'s', 0, 0xff, 0xff]);
        badProtobuf.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        var protobufResponse = await _server.Http.PostAsync("/api/v1/namespaces/default/configmaps", badProtobuf);
        Assert.Equal(HttpStatusCode.BadRequest, protobufResponse.StatusCode);
        Assert.Contains("the request body is not a valid Kubernetes protobuf object", await protobufResponse.Content.ReadAsStringAsync());

        var (missing, _) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/widgets");
        Assert.Equal(404, missing);
        Assert.Equal(before, _server.Host.Store.Revision);
    }

    [Fact]
    public async Task Concurrent_updates_from_one_version_let_exactly_one_through()
    {
        var (_, created) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMap("race"));
        var rv = (string)created["metadata"]!["resourceVersion"]!;
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            var update = ConfigMap("race", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            update["metadata"]!["resourceVersion"] = rv;
            return (await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/race", update)).Status;
        }));
        Assert.Equal(1, statuses.Count(s => s == 200));
        Assert.Equal(11, statuses.Count(s => s == 409));
    }

    [Fact]
    public async Task Concurrent_patches_all_apply_because_each_is_retried_on_the_fresh_object()
    {
        await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "merge" } });
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            _server.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/merge",
                new JsonObject { ["data"] = new JsonObject { [$"k{i}"] = "v" } }, "application/merge-patch+json")));
        var (_, merged) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/merge");
        Assert.Equal(12, merged["data"]!.AsObject().Count);
    }

    [Fact]
    public async Task GenerateName_gets_a_five_character_suffix()
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["generateName"] = "web-" } };
        var (status, created) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", body);
        Assert.Equal(201, status);
        Assert.Matches("^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", (string?)created["metadata"]!["name"]);
    }

    [Fact]
    public async Task Lists_page_with_limit_and_continue_and_filter_by_labels()
    {
        for (var i = 0; i < 5; i++)
        {
            var cm = ConfigMap($"c{i}");
            cm["metadata"]!["labels"] = new JsonObject { ["parity"] = i % 2 == 0 ? "even" : "odd" };
            await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", cm);
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var (_, page) = await _server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps?limit=2{(token is null ? "" : "&continue=" + token)}");
            Assert.Equal("ConfigMapList", (string?)page["kind"]);
            Assert.Null(page["items"]![0]!["kind"]);
            names.AddRange(page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
            token = (string?)page["metadata"]!["continue"];
            pages++;
        }
        while (token is not null);
        Assert.Equal(["c0", "c1", "c2", "c3", "c4"], names);
        Assert.Equal(3, pages);

        var (_, even) = await _server.SendAsync(HttpMethod.Get, "/api/v1/configmaps?labelSelector=parity%3Deven");
        Assert.Equal(["c0", "c2", "c4"], even["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));

        var (badStatus, bad) = await _server.SendAsync(HttpMethod.Get, "/api/v1/configmaps?continue=garbage");
        Assert.Equal(400, badStatus);
        Assert.StartsWith("continue key is not valid", (string?)bad["message"]);

        var (deleted, _) = await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps?labelSelector=parity%3Dodd");
        Assert.Equal(200, deleted);
        var (_, left) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps");
        Assert.Equal(3, left["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Finalizers_hold_a_deleted_object_until_the_last_one_is_removed()
    {
        var cm = ConfigMap("held");
        cm["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", cm);

        var (status, deleting) = await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/held");
        Assert.Equal(202, status);
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);

        deleting["metadata"]!.AsObject().Remove("finalizers");
        var (released, _) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/held", deleting);
        Assert.Equal(200, released);
        var (gone, _) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/configmaps/held");
        Assert.Equal(404, gone);
    }

    [Fact]
    public async Task A_deleted_namespace_is_terminating_refuses_new_content_and_goes_once_finalized()
    {
        await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "doomed" } });
        var (status, deleting) = await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/doomed");
        Assert.Equal(202, status);
        Assert.Equal("Terminating", (string?)deleting["status"]!["phase"]);
        Assert.Equal(["kubernetes"], deleting["spec"]!["finalizers"]!.AsArray().Select(f => (string)f!));

        var (refused, error) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/doomed/configmaps", ConfigMap("late"));
        Assert.Equal(403, refused);
        Assert.Equal("configmaps \"late\" is forbidden: unable to create new content in namespace doomed because it is being terminated", (string?)error["message"]);

        var finalize = deleting.DeepClone().AsObject();
        finalize["spec"] = new JsonObject { ["finalizers"] = new JsonArray() };
        var (finalized, _) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/doomed/finalize", finalize);
        Assert.Equal(200, finalized);
        var (gone, _) = await _server.SendAsync(HttpMethod.Get, "/api/v1/namespaces/doomed");
        Assert.Equal(404, gone);
    }

    [Fact]
    public async Task Foreground_and_orphan_deletion_set_the_finalizers_the_garbage_collector_acts_on()
    {
        foreach (var (policy, finalizer) in new[] { ("Foreground", "foregroundDeletion"), ("Orphan", "orphan") })
        {
            await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMap(policy.ToLowerInvariant()));
            var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = policy };
            var (status, obj) = await _server.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/default/configmaps/{policy.ToLowerInvariant()}", options);
            Assert.Equal(202, status);
            Assert.Equal([finalizer], obj["metadata"]!["finalizers"]!.AsArray().Select(f => (string)f!));
        }
    }

    [Fact]
    public async Task Aggregated_discovery_is_served_with_a_content_type_that_names_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.Accept.ParseAdd("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _server.Http.SendAsync(request);
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("APIGroupDiscoveryList", (string?)body["kind"]);
        var apps = body["items"]!.AsArray().Single(i => (string?)i!["metadata"]!["name"] == "apps")!;
        var deployments = apps["versions"]![0]!["resources"]!.AsArray().Single(r => (string?)r!["resource"] == "deployments")!;
        Assert.Equal("Namespaced", (string?)deployments["scope"]);
        Assert.Equal(["scale", "status"], deployments["subresources"]!.AsArray().Select(s => (string)s!["subresource"]!));

        var (_, legacy) = await _server.SendAsync(HttpMethod.Get, "/api");
        Assert.Equal("APIVersions", (string?)legacy["kind"]);
    }

    [Fact]
    public async Task A_crd_serves_its_custom_resources_and_takes_them_when_deleted()
    {
        var crd = JsonNode.Parse("""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"widgets.example.com"},
             "spec":{"group":"example.com","scope":"Namespaced",
               "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
               "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
                 "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """)!.AsObject();
        var (status, created) = await _server.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        Assert.Equal(201, status);
        Assert.Contains(created["status"]!["conditions"]!.AsArray(), c => (string?)c!["type"] == "Established" && (string?)c["status"] == "True");

        var widget = JsonNode.Parse("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}""")!.AsObject();
        var (widgetStatus, stored) = await _server.SendAsync(HttpMethod.Post, "/apis/example.com/v1/namespaces/default/widgets", widget);
        Assert.Equal(201, widgetStatus);
        Assert.Equal(1, (int?)stored["metadata"]!["generation"]);

        var (_, list) = await _server.SendAsync(HttpMethod.Get, "/apis/example.com/v1/widgets");
        Assert.Equal("WidgetList", (string?)list["kind"]);
        Assert.Equal("Widget", (string?)list["items"]![0]!["kind"]);

        await _server.SendAsync(HttpMethod.Delete, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
        var (gone, _) = await _server.SendAsync(HttpMethod.Get, "/apis/example.com/v1/widgets");
        Assert.Equal(404, gone);
        Assert.Empty((await _server.Host.Store.ListAsync("/registry/example.com/widgets/", null, 0)).Items);
    }

    [Fact]
    public async Task Status_writes_keep_the_spec_and_spec_writes_keep_the_status()
    {
        var svc = JsonNode.Parse("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}}""")!.AsObject();
        var (_, created) = await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/services", svc);

        var status = created.DeepClone().AsObject();
        status["status"] = JsonNode.Parse("""{"loadBalancer":{"ingress":[{"ip":"172.19.0.100"}]}}""");
        status["spec"]!["ports"]![0]!["port"] = 81;
        var (_, afterStatus) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/services/web/status", status);
        Assert.Equal(80, (int?)afterStatus["spec"]!["ports"]![0]!["port"]);
        Assert.Equal("172.19.0.100", (string?)afterStatus["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]);

        var spec = afterStatus.DeepClone().AsObject();
        spec["status"] = new JsonObject();
        spec["spec"]!["ports"]![0]!["port"] = 82;
        var (_, afterSpec) = await _server.SendAsync(HttpMethod.Put, "/api/v1/namespaces/default/services/web", spec);
        Assert.Equal(82, (int?)afterSpec["spec"]!["ports"]![0]!["port"]);
        Assert.Equal("172.19.0.100", (string?)afterSpec["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]);
    }
}
