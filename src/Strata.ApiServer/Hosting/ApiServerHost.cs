using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.ApiServer.Allocation;
using Strata.ApiServer.Http;
using Strata.ApiServer.Registry;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Hosting;

/// <summary>
/// <c>strata apiserver</c>: Kestrel over HTTPS in front of the registry and the SQLite store. At start it makes (or
/// reuses) the credentials, creates the system namespaces and writes <c>kubeconfig</c> into the data directory.
/// </summary>
public sealed class ApiServerHost : IAsyncDisposable
{
    private static readonly string[] SystemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _compactor;
    private readonly KubeletProxy _kubelet;
    private Controllers.ControllerManager? _controllers;
    private int _disposed;

    private ApiServerHost(WebApplication app, KubeletProxy kubelet, IObjectStore store, ObjectRegistry registry, ServerCredentials credentials, IReadOnlyList<Uri> addresses, string kubeconfig, ApiServerOptions options, ILogger logger)
    {
        _app = app;
        _kubelet = kubelet;
        Store = store;
        Registry = registry;
        Credentials = credentials;
        Addresses = addresses;
        KubeconfigPath = kubeconfig;
        _compactor = CompactLoopAsync(options.CompactionInterval, logger, _stopping.Token);
    }

    public IObjectStore Store { get; }

    public ObjectRegistry Registry { get; }

    public ServerCredentials Credentials { get; }

    /// <summary>The https:// addresses served, with the ports actually bound.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public string KubeconfigPath { get; }

    /// <summary>Answers TokenRequests (serviceaccounts/{name}/token); in-process clients pass it to <see cref="RegistryKubeClient"/>.</summary>
    public Authentication.TokenRequests Tokens { get; private init; } = null!;

    /// <summary>Signs and verifies service account tokens.</summary>
    public Authentication.ServiceAccountTokens TokenSigner { get; private init; } = null!;

    /// <summary>The control loops hosted in-process (null when <see cref="ApiServerOptions.Controllers"/> is empty).</summary>
    public Controllers.ControllerManager? Controllers => _controllers;

    public static async Task<ApiServerHost> StartAsync(ApiServerOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);
        var credentials = ServerCredentials.LoadOrCreate(Path.Combine(options.DataDirectory, "pki"));
        var tokens = Authentication.ServiceAccountTokens.LoadOrCreate(Path.Combine(options.DataDirectory, "pki"), TimeProvider.System);
        IObjectStore store = options.EtcdServers is { } etcd
            ? await WatchCache.StartAsync(await EtcdObjectStore.ConnectAsync(etcd, cancellationToken))
            : SqliteObjectStore.Open(Path.Combine(options.DataDirectory, "state.db"), options.Durable);
        var catalog = new ResourceCatalog();
        var time = TimeProvider.System;
        var registry = new ObjectRegistry(store, catalog, time);
        ApiServerWiring.Configure(registry);
        var allocators = new AllocatorState(store, time);
        var clusterIps = PersistentAllocators.ClusterIps(allocators, options.ServiceClusterIpRange);
        var nodePorts = PersistentAllocators.NodePorts(allocators, options.ServiceNodePortRange);
        registry.Admissions.Add(new ServiceAdmission(clusterIps, nodePorts));
        if (options.ServiceAccountAdmission)
        {
            registry.Admissions.Add(new Admission.ServiceAccountAdmission(registry));
        }

        await registry.LoadCustomResourcesAsync(cancellationToken);
        await EnsureSystemNamespacesAsync(registry, catalog, cancellationToken);

        // Configuration files are not watched: the content root would be the caller's working directory (the lab starts
        // the server in "/"), and watching a tree for appsettings.json costs seconds at start.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = options.DataDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listen in options.Listen.Select(ListenAddress.Parse))
            {
                kestrel.Listen(listen.Address, listen.Port, l => l.UseHttps(credentials.ServingCertificate));
            }

            foreach (var handle in options.ListenHandles)
            {
                kestrel.ListenHandle(handle, l => l.UseHttps(credentials.ServingCertificate));
            }
        });

        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var logger = (loggerFactory ?? app.Services.GetRequiredService<ILoggerFactory>()).CreateLogger("Strata.ApiServer");
        var kubelet = new KubeletProxy(registry, app.Services.GetRequiredService<Yarp.ReverseProxy.Forwarder.IHttpForwarder>(), credentials.Token, options.KubeletNetworkNamespace);
        var tokenRequests = new Authentication.TokenRequests(registry, tokens, time);
        var handler = new ResourceHandler(registry, options, time) { Kubelet = kubelet, Tokens = tokenRequests };
        ApiServerWiring.Configure(handler);
        var dispatcher = new ApiDispatcher(handler, catalog, new Authentication.RequestAuthenticator(credentials.Token, tokens, registry), ApiServerWiring.OpenApi(catalog), logger);
        app.Run(dispatcher.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
                .Addresses.Select(a => new Uri(a.Replace("://[::]", "://localhost", StringComparison.Ordinal))).ToList();
            await KubernetesService.EnsureAsync(registry, ServiceIpRange.Parse(options.ServiceClusterIpRange).First!,
                AdvertisedEndpoint(options, addresses), cancellationToken);
            var kubeconfig = Path.Combine(options.DataDirectory, "kubeconfig");
            var server = addresses.Count > 0 ? addresses[0].GetLeftPart(UriPartial.Authority) : $"https://{options.Listen.FirstOrDefault()}";
            Kubeconfig.Write(kubeconfig, server, credentials.CaPem, credentials.Token);
            ApiServerLog.Serving(logger, string.Join(", ", addresses), options.DataDirectory);
            var host = new ApiServerHost(app, kubelet, store, registry, credentials, addresses, kubeconfig, options, logger) { Tokens = tokenRequests, TokenSigner = tokens };
            if (options.Controllers.Count > 0)
            {
                host._controllers = Strata.Controllers.ControllerManager.Start(new RegistryKubeClient(registry, tokenRequests), new Controllers.ControllerManagerOptions
                {
                    Controllers = options.Controllers,
                    ClusterCidr = options.ClusterCidr,
                    NodeCidrMaskSize = options.NodeCidrMaskSize,
                    LoadBalancerPool = options.LoadBalancerPool,
                    RootCaPem = credentials.CaPem,
                }, loggerFactory);
            }

            return host;
        }
        catch
        {
            await app.DisposeAsync();
            await store.DisposeAsync();
            kubelet.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        try
        {
            await _compactor;
        }
        catch (OperationCanceledException)
        {
        }

        // Close watches first, so that Kestrel's graceful stop does not wait on open streams.
        await Store.DisposeAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        _kubelet.Dispose();
        TokenSigner.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Keeps the change log for one interval: each tick compacts up to the revision seen at the previous tick,
    /// as kube-apiserver's compactor does with etcd (storage/etcd3/compact.go).
    /// </summary>
    private async Task CompactLoopAsync(TimeSpan interval, ILogger logger, CancellationToken ct)
    {
        var previous = Store.Revision;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (previous > Store.CompactedRevision)
            {
                await Store.CompactAsync(previous, ct);
                ApiServerLog.Compacted(logger, previous);
            }

            previous = Store.Revision;
        }
    }

    /// <summary>
    /// --advertise-address with the port it is served on (the lab's 172.19.0.2:6443, not the host's 127.0.0.1 port), or
    /// else the first listen port; without it the first served address (loopback for 0.0.0.0).
    /// </summary>
    private static System.Net.IPEndPoint AdvertisedEndpoint(ApiServerOptions options, IReadOnlyList<Uri> addresses)
    {
        var port = addresses.Count > 0 ? addresses[0].Port : 6443;
        if (options.AdvertiseAddress is { } advertise)
        {
            var ip = System.Net.IPAddress.Parse(advertise);
            var served = addresses.FirstOrDefault(a => System.Net.IPAddress.TryParse(a.Host.Trim('[', ']'), out var host) && host.Equals(ip));
            return new System.Net.IPEndPoint(ip, served?.Port ?? HandlePort(options, ip) ?? port);
        }

        var listen = options.Listen.Select(ListenAddress.Parse).FirstOrDefault(l => !l.Address.Equals(System.Net.IPAddress.Any));
        return new System.Net.IPEndPoint(listen?.Address ?? System.Net.IPAddress.Loopback, port);
    }

    // Kestrel lists a socket it was handed without its address: ask the socket (getsockname).
    private static int? HandlePort(ApiServerOptions options, System.Net.IPAddress ip)
    {
        foreach (var handle in options.ListenHandles)
        {
            using var socket = new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle((nint)handle, ownsHandle: false));
            if (socket.LocalEndPoint is System.Net.IPEndPoint local && local.Address.Equals(ip))
            {
                return local.Port;
            }
        }

        return null;
    }

    private static async Task EnsureSystemNamespacesAsync(ObjectRegistry registry, ResourceCatalog catalog, CancellationToken ct)
    {
        var namespaces = catalog.Get("", "namespaces");
        foreach (var name in SystemNamespaces)
        {
            if (await registry.Store.GetAsync(namespaces.Key(null, name), ct) is null)
            {
                await registry.CreateAsync(namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, cancellationToken: ct);
            }
        }
    }
}
