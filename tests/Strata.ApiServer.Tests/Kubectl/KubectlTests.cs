using System.Diagnostics;
using System.Text.Json.Nodes;
using Strata.ApiServer.Tests.Support;

namespace Strata.ApiServer.Tests.Kubectl;

/// <summary>The real kubectl against a real Strata API server, on the seed's objects; outputs as upstream prints them.</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private static readonly string Seed = Path.Combine(AppContext.BaseDirectory, "Kubectl", "testdata", "seed.yaml");
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string[][] Rows(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s{2,}")).ToArray();

    [KubectlFact]
    public void Api_resources_and_versions_list_what_is_served()
    {
        var resources = Rows(_server.KubectlOk("api-resources"));
        Assert.Equal(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], resources[0]);
        Assert.Contains(["services", "svc", "v1", "true", "Service"], resources);
        Assert.Contains(["deployments", "deploy", "apps/v1", "true", "Deployment"], resources);
        Assert.Contains(["endpointslices", "discovery.k8s.io/v1", "true", "EndpointSlice"], resources);
        Assert.Contains(["ingresses", "ing", "networking.k8s.io/v1", "true", "Ingress"], resources);
        Assert.Contains(["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"], resources);

        Assert.Equal(
            ["apiextensions.k8s.io/v1", "apps/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "v1"],
            _server.KubectlOk("api-versions").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [KubectlFact]
    public void The_seed_applies_and_prints_as_upstream_prints_it()
    {
        Assert.Equal(
            ["deployment.apps/nginx created", "service/kubia created", "service/kubia-nodeport created", "service/kubia-headless created", "ingress.networking.k8s.io/kubia created"],
            _server.KubectlOk("apply", "-f", Seed).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.All(_server.KubectlOk("apply", "-f", Seed).Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.EndsWith(" unchanged", l));

        var services = Rows(_server.KubectlOk("get", "svc"));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], services[0]);
        Assert.Equal(["kubia-nodeport", "NodePort"], services.Single(r => r[0] == "kubia-nodeport")[..2]);
        Assert.Equal("80:30123/TCP", services.Single(r => r[0] == "kubia-nodeport")[4]);
        Assert.Equal(["kubia-headless", "ClusterIP", "None", "<none>", "80/TCP"], services.Single(r => r[0] == "kubia-headless")[..5]);

        var wide = Rows(_server.KubectlOk("get", "svc", "kubia", "-o", "wide"));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], wide[0]);
        Assert.Equal("app=nginx", wide[1][^1]);

        var deployments = Rows(_server.KubectlOk("get", "deploy", "-o", "wide"));
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"], deployments[0]);
        Assert.Equal(["nginx", "0/3", "0", "0"], deployments[1][..4]);
        Assert.Equal(["nginx", "nginx:1.25", "app=nginx"], deployments[1][^3..]);

        var ingresses = Rows(_server.KubectlOk("get", "ing"));
        Assert.Equal(["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], ingresses[0]);
        Assert.Equal(["kubia", "nginx", "kubia.example.com", "80"], ingresses[1][..4]);

        var describe = _server.KubectlOk("describe", "svc", "kubia");
        Assert.Matches(@"Selector:\s+app=nginx", describe);
        Assert.Matches(@"Type:\s+ClusterIP", describe);
        Assert.Matches(@"Rules:\s+Host\s+Path\s+Backends", _server.KubectlOk("describe", "ing", "kubia"));

        _server.KubectlStdin("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, labels: {app: nginx}}
            spec:
              containers: [{name: nginx, image: nginx:1.25, ports: [{containerPort: 80}]}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: kubia}
            subsets:
            - addresses: [{ip: 10.233.64.2}, {ip: 10.233.65.2}]
              ports: [{port: 80}]
            """, "apply", "-f", "-");
        var pods = Rows(_server.KubectlOk("get", "pods", "-o", "wide"));
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"], pods[0]);
        Assert.Equal(["web-1", "0/1", "Pending", "0"], pods[1][..4]);
        Assert.Matches(@"QoS Class:\s+BestEffort", _server.KubectlOk("describe", "pod", "web-1"));
        var endpoints = Rows(_server.KubectlOk("get", "endpoints"));
        Assert.Equal(["NAME", "ENDPOINTS", "AGE"], endpoints[0]);
        Assert.Equal(["kubia", "10.233.64.2:80,10.233.65.2:80"], endpoints[1][..2]);
        Assert.Matches(@"Addresses:\s+10.233.64.2,10.233.65.2", _server.KubectlOk("describe", "endpoints", "kubia"));

        // Defaulted as kube-apiserver defaults.
        Assert.Equal("TCP None ClusterIP", _server.KubectlOk("get", "svc", "kubia", "-o", "jsonpath={.spec.ports[0].protocol} {.spec.sessionAffinity} {.spec.type}"));
    }

    [KubectlFact]
    public void Unknown_fields_are_refused_by_default_and_dropped_with_warnings_on_request()
    {
        const string typo = """
            apiVersion: v1
            kind: Service
            metadata: {name: typo, foo: 1}
            spec:
              fooo: 1
              ports: [{port: 80, bar: x}]
            """;
        var (code, _, stderr) = _server.KubectlStdin(typo, "apply", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"metadata.foo\", unknown field \"spec.fooo\", unknown field \"spec.ports[0].bar\"", stderr);
        Assert.Equal(1, _server.Kubectl("get", "svc", "typo").ExitCode);

        (code, _, stderr) = _server.KubectlStdin(typo, "create", "-f", "-", "--validate=warn");
        Assert.Equal(0, code);
        Assert.Contains("Warning: unknown field \"spec.fooo\"", stderr);
        var stored = JsonNode.Parse(_server.KubectlOk("get", "svc", "typo", "-o", "json"))!;
        Assert.Null(stored["spec"]!["fooo"]);
        Assert.Null(stored["spec"]!["ports"]![0]!["bar"]);
        Assert.Null(stored["metadata"]!["foo"]);
    }

    [KubectlFact]
    public void Patch_scale_label_and_delete_change_what_get_shows()
    {
        _server.KubectlOk("apply", "-f", Seed);
        Assert.Equal("deployment.apps/nginx scaled\n", _server.KubectlOk("scale", "deploy", "nginx", "--replicas=5"));
        Assert.Equal("5 2", _server.KubectlOk("get", "deploy", "nginx", "-o", "jsonpath={.spec.replicas} {.metadata.generation}"));

        _server.KubectlOk("patch", "svc", "kubia", "-p", """{"spec":{"ports":[{"port":80,"targetPort":8080}]}}""");
        Assert.Equal("8080", _server.KubectlOk("get", "svc", "kubia", "-o", "jsonpath={.spec.ports[0].targetPort}"));
        _server.KubectlOk("patch", "svc", "kubia", "--type=json", "-p", """[{"op":"replace","path":"/spec/selector/app","value":"web"}]""");
        _server.KubectlOk("patch", "svc", "kubia", "--type=merge", "-p", """{"metadata":{"labels":{"tier":"front"}}}""");
        Assert.Equal("web front", _server.KubectlOk("get", "svc", "kubia", "-o", "jsonpath={.spec.selector.app} {.metadata.labels.tier}"));

        Assert.Equal("service \"kubia\" deleted\n", _server.KubectlOk("delete", "svc", "kubia"));
        var (code, _, stderr) = _server.Kubectl("get", "svc", "kubia");
        Assert.Equal(1, code);
        Assert.Equal("Error from server (NotFound): services \"kubia\" not found\n", stderr);
    }

    [KubectlFact]
    public void Server_dry_runs_and_diff_show_changes_without_making_them()
    {
        _server.KubectlOk("apply", "-f", Seed);
        var before = _server.Host.Store.Revision;
        var changed = _server.DataDirectory + "/seed4.yaml";
        File.WriteAllText(changed, File.ReadAllText(Seed).Replace("replicas: 3", "replicas: 4"));

        var (code, diff, _) = _server.Kubectl("diff", "-f", changed);
        Assert.Equal(1, code); // kubectl diff exits 1 when there are differences
        Assert.Contains("-  replicas: 3", diff);
        Assert.Contains("+  replicas: 4", diff);
        Assert.Contains("deployment.apps/nginx configured (server dry run)", _server.KubectlOk("apply", "-f", changed, "--dry-run=server"));
        Assert.Equal("service \"kubia\" deleted (server dry run)\n", _server.KubectlOk("delete", "svc", "kubia", "--dry-run=server"));

        Assert.Equal("3", _server.KubectlOk("get", "deploy", "nginx", "-o", "jsonpath={.spec.replicas}"));
        Assert.Equal(0, _server.Kubectl("get", "svc", "kubia").ExitCode);
        Assert.Equal(before, _server.Host.Store.Revision);
    }

    [KubectlFact]
    public void Server_side_apply_creates_then_merges_the_applied_configuration()
    {
        Assert.All(_server.KubectlOk("apply", "--server-side", "-f", Seed).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => Assert.EndsWith(" serverside-applied", l));
        var changed = _server.DataDirectory + "/seed4.yaml";
        File.WriteAllText(changed, File.ReadAllText(Seed).Replace("replicas: 3", "replicas: 4"));
        _server.KubectlOk("apply", "--server-side", "-f", changed);
        Assert.Equal("4 nginx 80", _server.KubectlOk("get", "deploy", "nginx", "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].name} {.spec.template.spec.containers[0].ports[0].containerPort}"));
    }

    [Fact]
    public async Task Apply_patches_need_a_field_manager()
    {
        using var content = new StringContent("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/apply-patch+yaml");
        using var response = await _server.Http.PatchAsync("/api/v1/namespaces/default/configmaps/a", content);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("fieldManager: Required value", await response.Content.ReadAsStringAsync());
    }

    [KubectlFact]
    public void Invalid_objects_get_upstreams_message_and_nothing_is_stored()
    {
        // Allocation writes its range even for a refused Service (reserve, then undo), as upstream's does in etcd:
        // so compare what is stored, not the revision.
        var before = StoredState();
        var (code, _, stderr) = _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata:
              name: web
            spec:
              ports:
              - port: 80
                nodePort: 80
            """, "apply", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("The Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'", stderr);

        (code, _, stderr) = _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata:
              name: Web_1
            spec:
              ports:
              - port: 0
            """, "create", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("The Service \"Web_1\" is invalid: ", stderr);
        Assert.Contains("metadata.name: Invalid value: \"Web_1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-'", stderr);
        Assert.Contains("spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", stderr);
        Assert.Equal(before, StoredState());
    }

    /// <summary>Every stored object and range, without the revisions that reserving and undoing bump.</summary>
    private string StoredState()
    {
        var page = _server.Host.Store.ListAsync("/registry/", null, 0).GetAwaiter().GetResult();
        return string.Join("\n", page.Items.Select(i =>
        {
            var value = i.Value.DeepClone().AsObject();
            value["metadata"]!.AsObject().Remove("resourceVersion");
            return $"{i.Key} {value.ToJsonString()}";
        }));
    }

    [KubectlFact]
    public async Task Get_watch_prints_a_row_for_each_change()
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--kubeconfig", _server.Host.KubeconfigPath, "--cache-dir", Path.Combine(_server.DataDirectory, "watch-cache"), "get", "configmaps", "-w", "--output-watch-events" })
        {
            start.ArgumentList.Add(arg);
        }

        using var watch = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var lines = new List<string>();
            var reading = Task.Run(async () =>
            {
                while (lines.Count < 3 && await watch.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }
                }
            });

            // The watch is open once kubectl has listed; then each change is one row.
            await WaitUntilAsync(() => _server.Host.Store is { } && WatchersOpen() > 0, timeout.Token);
            await _server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps",
                new JsonObject { ["metadata"] = new JsonObject { ["name"] = "w1" }, ["data"] = new JsonObject { ["a"] = "b" } });
            await _server.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/w1");
            await reading;

            var rows = lines.Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim(), @"\s+")).ToArray();
            Assert.Equal(["EVENT", "NAME", "DATA", "AGE"], rows[0]);
            Assert.Equal(["ADDED", "w1", "1"], rows[1][..3]);
            Assert.Equal(["DELETED", "w1", "1"], rows[2][..3]);
        }
        finally
        {
            watch.Kill();
            await watch.WaitForExitAsync();
        }
    }

    private int WatchersOpen() => _server.Host.Store.WatcherCount;

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    [KubectlFact]
    public void The_gateway_api_crds_install_and_their_resources_are_defaulted_and_printed_by_their_schemas()
    {
        var crds = Path.Combine(Repository.Root, "manifests", "gateway-api", "v1.3.0");
        var installed = _server.KubectlOk("apply", "-f", crds).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/httproutes.gateway.networking.k8s.io created", installed);
        Assert.Equal(5, installed.Length);

        _server.KubectlStdin("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: strata}
            spec: {controllerName: strata.dev/gateway}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: web}
            spec:
              gatewayClassName: strata
              listeners: [{name: http, protocol: HTTP, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: kubia}
            spec:
              parentRefs: [{name: web}]
              hostnames: [kubia.example.com]
              rules:
              - backendRefs: [{name: kubia, port: 80}]
            """, "apply", "-f", "-");

        Assert.Equal(["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"], Rows(_server.KubectlOk("get", "gateway"))[0]);

        // The CRDs' columns use filters and wildcards: [?(@.type=="Programmed")] and addresses[*].
        _server.KubectlOk("patch", "gateway", "web", "--subresource=status", "--type=merge", "-p",
            """{"status":{"addresses":[{"type":"IPAddress","value":"10.233.64.9"},{"type":"IPAddress","value":"10.233.65.9"}],"conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-12-06T08:00:00Z"},{"type":"Programmed","status":"True","reason":"Programmed","message":"","lastTransitionTime":"2026-12-06T08:00:00Z"}]}}""");
        Assert.Equal(["web", "strata", "10.233.64.9", "True"], Rows(_server.KubectlOk("get", "gateway"))[1][..4]);
        _server.KubectlOk("patch", "gatewayclass", "strata", "--subresource=status", "--type=merge", "-p",
            """{"status":{"conditions":[{"type":"Accepted","status":"False","reason":"InvalidParameters","message":"","lastTransitionTime":"2026-12-06T08:00:00Z"}]}}""");
        Assert.Equal(["strata", "strata.dev/gateway", "False"], Rows(_server.KubectlOk("get", "gatewayclass"))[1][..3]);
        Assert.Equal(["NAME", "HOSTNAMES", "AGE"], Rows(_server.KubectlOk("get", "httproute"))[0]);
        var route = JsonNode.Parse(_server.KubectlOk("get", "httproute", "kubia", "-o", "jsonpath={.spec}"))!;
        Assert.Equal("""{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"web"}""", route["parentRefs"]![0]!.ToJsonString());
        Assert.Equal("""{"group":"","kind":"Service","name":"kubia","port":80,"weight":1}""", route["rules"]![0]!["backendRefs"]![0]!.ToJsonString());
        Assert.Equal("""[{"path":{"type":"PathPrefix","value":"/"}}]""", route["rules"]![0]!["matches"]!.ToJsonString());

        var (code, _, stderr) = _server.KubectlStdin("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: bad}
            spec:
              parentRefs: [{name: web}]
              rules:
              - backendRefs: [{name: kubia, port: 70000}]
            """, "apply", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("The HTTPRoute \"bad\" is invalid: spec.rules[0].backendRefs[0].port: Invalid value: 70000: spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535", stderr);
        Assert.Equal(1, _server.Kubectl("get", "httproute", "bad").ExitCode);
    }

    [KubectlFact]
    public void Services_get_cluster_ips_and_node_ports_and_clashes_get_upstreams_messages()
    {
        _server.KubectlOk("apply", "-f", Seed);
        var services = Rows(_server.KubectlOk("get", "svc"));
        Assert.Equal(["kubernetes", "ClusterIP", "10.233.0.1", "<none>", "443/TCP"], services.Single(r => r[0] == "kubernetes")[..5]);
        var kubia = services.Single(r => r[0] == "kubia");
        Assert.Matches(@"^10\.233\.(\d+)\.(\d+)$", kubia[2]);
        Assert.Equal("None", services.Single(r => r[0] == "kubia-headless")[2]);

        var clashes = new (string Yaml, string Message)[]
        {
            ("""
             apiVersion: v1
             kind: Service
             metadata: {name: clash}
             spec: {type: NodePort, ports: [{port: 80, nodePort: 30123}]}
             """, "The Service \"clash\" is invalid: spec.ports[0].nodePort: Invalid value: 30123: provided port is already allocated"),
            ("""
             apiVersion: v1
             kind: Service
             metadata: {name: web}
             spec: {type: NodePort, ports: [{port: 80, nodePort: 80}]}
             """, "The Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"),
            ($$"""
             apiVersion: v1
             kind: Service
             metadata: {name: taken}
             spec: {clusterIP: {{kubia[2]}}, ports: [{port: 80}]}
             """, $"The Service \"taken\" is invalid: spec.clusterIPs: Invalid value: [\"{kubia[2]}\"]: failed to allocate IP {kubia[2]}: provided IP is already allocated"),
            ("""
             apiVersion: v1
             kind: Service
             metadata: {name: outside}
             spec: {clusterIP: 10.1.0.1, ports: [{port: 80}]}
             """, "The Service \"outside\" is invalid: spec.clusterIPs: Invalid value: [\"10.1.0.1\"]: failed to allocate IP 10.1.0.1: the provided IP (10.1.0.1) is not in the valid range. The range of valid IPs is 10.233.0.0/18"),
        };
        foreach (var (yaml, message) in clashes)
        {
            var (code, _, stderr) = _server.KubectlStdin(yaml, "apply", "-f", "-");
            Assert.Equal(1, code);
            Assert.Contains(message, stderr);
        }

        // A refused Service holds nothing: its valid node port is free for the next one.
        var (invalidCode, _, _) = _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata: {name: Invalid_Name}
            spec: {type: NodePort, ports: [{port: 80, nodePort: 31000}]}
            """, "create", "-f", "-");
        Assert.Equal(1, invalidCode);
        _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata: {name: gets-31000}
            spec: {type: NodePort, ports: [{port: 80, nodePort: 31000}]}
            """, "create", "-f", "-");
        Assert.Equal("31000", _server.KubectlOk("get", "svc", "gets-31000", "-o", "jsonpath={.spec.ports[0].nodePort}"));

        // Deleting frees the address and the port; turning a NodePort into a ClusterIP frees its port.
        _server.KubectlOk("delete", "svc", "kubia");
        _server.KubectlStdin($$"""
            apiVersion: v1
            kind: Service
            metadata: {name: reuses}
            spec: {clusterIP: {{kubia[2]}}, ports: [{port: 80}]}
            """, "create", "-f", "-");
        Assert.Equal(kubia[2], _server.KubectlOk("get", "svc", "reuses", "-o", "jsonpath={.spec.clusterIP}"));
        _server.KubectlOk("patch", "svc", "kubia-nodeport", "-p", """{"spec":{"type":"ClusterIP"}}""");
        Assert.Equal("", _server.KubectlOk("get", "svc", "kubia-nodeport", "-o", "jsonpath={.spec.ports[0].nodePort}"));
        _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata: {name: takes-30123}
            spec: {type: NodePort, ports: [{port: 80, nodePort: 30123}]}
            """, "create", "-f", "-");
        Assert.Equal("30123", _server.KubectlOk("get", "svc", "takes-30123", "-o", "jsonpath={.spec.ports[0].nodePort}"));
    }

    [KubectlFact]
    public void A_local_load_balancer_gets_a_health_check_node_port_that_is_kept_reserved_and_freed()
    {
        _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata: {name: lb-local}
            spec: {type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}
            """, "create", "-f", "-");
        var allocated = _server.KubectlOk("get", "svc", "lb-local", "-o", "jsonpath={.spec.healthCheckNodePort}");
        Assert.InRange(int.Parse(allocated, System.Globalization.CultureInfo.InvariantCulture), 30000, 32767);
        Assert.NotEqual(allocated, _server.KubectlOk("get", "svc", "lb-local", "-o", "jsonpath={.spec.ports[0].nodePort}"));

        // Left out of an update, it is kept; asked for by another Service, it is refused as upstream refuses it.
        var (replaceCode, _, replaceError) = _server.KubectlStdin("""
            apiVersion: v1
            kind: Service
            metadata: {name: lb-local, labels: {replaced: "yes"}}
            spec: {type: LoadBalancer, externalTrafficPolicy: Local, ports: [{port: 80}]}
            """, "replace", "-f", "-");
        Assert.True(replaceCode == 0, replaceError);
        Assert.Equal(allocated, _server.KubectlOk("get", "svc", "lb-local", "-o", "jsonpath={.spec.healthCheckNodePort}"));
        var (code, _, stderr) = _server.KubectlStdin($$"""
            apiVersion: v1
            kind: Service
            metadata: {name: lb-clash}
            spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: {{allocated}}, ports: [{port: 80}]}
            """, "create", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains($"failed to allocate requested HealthCheck NodePort {allocated}: provided port is already allocated", stderr);
        var (nodePortCode, _, nodePortError) = _server.KubectlStdin($$"""
            apiVersion: v1
            kind: Service
            metadata: {name: np-clash}
            spec: {type: NodePort, ports: [{port: 80, nodePort: {{allocated}}}]}
            """, "create", "-f", "-");
        Assert.Equal(1, nodePortCode);
        Assert.Contains("provided port is already allocated", nodePortError);

        // Switching to Cluster drops it and frees the port for the next Service that asks for it.
        _server.KubectlOk("patch", "svc", "lb-local", "-p", """{"spec":{"externalTrafficPolicy":"Cluster"}}""");
        Assert.Equal("", _server.KubectlOk("get", "svc", "lb-local", "-o", "jsonpath={.spec.healthCheckNodePort}"));
        _server.KubectlStdin($$"""
            apiVersion: v1
            kind: Service
            metadata: {name: lb-asks}
            spec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: {{allocated}}, ports: [{port: 80}]}
            """, "create", "-f", "-");
        Assert.Equal(allocated, _server.KubectlOk("get", "svc", "lb-asks", "-o", "jsonpath={.spec.healthCheckNodePort}"));
    }

    [KubectlFact]
    public void A_secrets_string_data_is_merged_into_its_data_and_never_stored()
    {
        _server.KubectlStdin("""
            apiVersion: v1
            kind: Secret
            metadata: {name: mixed}
            data: {kept: a2VwdA==, replaced: b2xk}
            stringData: {replaced: new, added: "tls.crt text"}
            """, "apply", "-f", "-");
        Assert.Equal("a2VwdA==", _server.KubectlOk("get", "secret", "mixed", "-o", "jsonpath={.data.kept}"));
        Assert.Equal("bmV3", _server.KubectlOk("get", "secret", "mixed", "-o", "jsonpath={.data.replaced}"));
        Assert.Equal("dGxzLmNydCB0ZXh0", _server.KubectlOk("get", "secret", "mixed", "-o", "jsonpath={.data.added}"));
        Assert.Equal("", _server.KubectlOk("get", "secret", "mixed", "-o", "jsonpath={.stringData}"));
        var (code, _, stderr) = _server.KubectlStdin("""
            apiVersion: v1
            kind: Secret
            metadata: {name: bad-key}
            stringData: {"bad/key": x}
            """, "create", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("data[bad/key]: Invalid value: \"bad/key\"", stderr);
    }

    [KubectlFact]
    public void Generator_commands_that_send_protobuf_create_what_they_print()
    {
        Assert.Equal("namespace/demo created\n", _server.KubectlOk("create", "namespace", "demo"));
        Assert.Equal("configmap/c1 created\n", _server.KubectlOk("-n", "demo", "create", "configmap", "c1", "--from-literal=a=b"));
        Assert.Equal("deployment.apps/web created\n", _server.KubectlOk("-n", "demo", "create", "deployment", "web", "--image=nginx:1.25", "--replicas=2"));
        Assert.Equal("secret/s created\n", _server.KubectlOk("-n", "demo", "create", "secret", "generic", "s", "--from-literal=k=v"));

        Assert.Equal("b", _server.KubectlOk("-n", "demo", "get", "cm", "c1", "-o", "jsonpath={.data.a}"));
        Assert.Equal("2 nginx:1.25 app=web", _server.KubectlOk("-n", "demo", "get", "deploy", "web", "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.selector.matchLabels}").Replace("{\"app\":\"web\"}", "app=web"));
        Assert.Equal("dg==", _server.KubectlOk("-n", "demo", "get", "secret", "s", "-o", "jsonpath={.data.k}"));
        var namespaces = Rows(_server.KubectlOk("get", "ns", "demo"));
        Assert.Equal(["demo", "Active"], namespaces[1][..2]);
    }

    [KubectlFact]
    public void Explain_reads_the_served_openapi()
    {
        var explain = _server.KubectlOk("explain", "service.spec.ports.port");
        Assert.Contains("FIELD: port <integer>", explain);
        Assert.Contains("The port that will be exposed by this service.", explain);
    }

    [KubectlFact]
    public void A_custom_resource_definition_is_served_to_kubectl_with_its_printer_columns()
    {
        _server.KubectlStdin("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.example.com
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
              versions:
              - name: v1
                served: true
                storage: true
                additionalPrinterColumns:
                - {name: Size, type: integer, jsonPath: .spec.size}
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          size: {type: integer}
            """, "apply", "-f", "-");
        var (code, stdout, stderr) = _server.KubectlStdin("""
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w1}
            spec: {size: 3}
            """, "apply", "-f", "-");
        Assert.True(code == 0, stderr);
        Assert.Equal("widget.example.com/w1 created\n", stdout);
        (code, _, stderr) = _server.KubectlStdin("""
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w2}
            spec: {size: 4, color: red}
            """, "apply", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.color\"", stderr);

        var rows = Rows(_server.KubectlOk("get", "wd"));
        Assert.Equal(["NAME", "SIZE"], rows[0]);
        Assert.Equal(["w1", "3"], rows[1]);
    }
}
