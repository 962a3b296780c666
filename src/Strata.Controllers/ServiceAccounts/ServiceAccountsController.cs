using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;
using Strata.Controllers.Machinery;

namespace Strata.Controllers.ServiceAccounts;

/// <summary>
/// kube-controller-manager's "serviceaccount" controller (pkg/controller/serviceaccount/serviceaccounts_controller.go):
/// every active namespace has the ServiceAccount <c>default</c>, recreated when deleted.
/// </summary>
public sealed class ServiceAccountsController : Controller
{
    public const string ControllerName = "serviceaccount";

    public static readonly IReadOnlyList<string> Managed = ["default"];

    private readonly IKubeClient _client;
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ServiceAccount> _accounts;

    public ServiceAccountsController(ControllerContext context)
        : base(ControllerName, context.Logger(ControllerName), workers: 1)
    {
        _client = context.Client;
        _namespaces = context.Informers.For<V1Namespace>();
        _accounts = context.Informers.For<V1ServiceAccount>();
        _namespaces.AddHandler(added: ns => Enqueue(ns.Metadata.Name), updated: (_, ns) => Enqueue(ns.Metadata.Name));
        _accounts.AddHandler(deleted: sa => Enqueue(sa.Metadata.NamespaceProperty));
    }

    protected override IEnumerable<IInformer> Informers => [_namespaces, _accounts];

    protected override IEnumerable<string> InitialKeys() => _namespaces.List().Select(n => n.Metadata.Name);

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Get(null, key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating")
        {
            return;
        }

        foreach (var name in Managed.Where(n => _accounts.Get(key, n) is null))
        {
            try
            {
                await _client.CreateAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = key } }, cancellationToken);
                ServiceAccountsLog.Created(Logger, key, name);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
            }
            catch (KubeApiException e) when (e.Code == 403 || e.IsNotFound)
            {
                // The namespace began terminating (or went) meanwhile: nothing to do.
            }
        }
    }
}

/// <summary>
/// kube-controller-manager's "root-ca-cert-publisher" (pkg/controller/certificates/rootcacertpublisher/publisher.go): the
/// ConfigMap <c>kube-root-ca.crt</c> in every active namespace holds the cluster CA (<c>ca.crt</c>) that pods verify the
/// API server with, restored when changed or deleted.
/// </summary>
public sealed class RootCaPublisher : Controller
{
    public const string ControllerName = "root-ca-cert-publisher";
    public const string ConfigMapName = "kube-root-ca.crt";
    public const string DescriptionAnnotation = "kubernetes.io/description";
    public const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly IKubeClient _client;
    private readonly string _rootCa;
    private readonly Informer<V1Namespace> _namespaces;
    private readonly Informer<V1ConfigMap> _configMaps;

    public RootCaPublisher(ControllerContext context, string rootCa)
        : base(ControllerName, context.Logger(ControllerName), workers: 1)
    {
        _client = context.Client;
        _rootCa = rootCa;
        _namespaces = context.Informers.For<V1Namespace>();
        _configMaps = context.Informers.For<V1ConfigMap>();
        _namespaces.AddHandler(added: ns => Enqueue(ns.Metadata.Name), updated: (_, ns) => Enqueue(ns.Metadata.Name));
        _configMaps.AddHandler(updated: (_, cm) => Changed(cm), deleted: Changed);
    }

    protected override IEnumerable<IInformer> Informers => [_namespaces, _configMaps];

    protected override IEnumerable<string> InitialKeys() => _namespaces.List().Select(n => n.Metadata.Name);

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var ns = _namespaces.Get(null, key);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating")
        {
            return;
        }

        try
        {
            var current = _configMaps.Get(key, ConfigMapName);
            if (current is null)
            {
                await _client.CreateAsync(new V1ConfigMap
                {
                    ApiVersion = "v1",
                    Kind = "ConfigMap",
                    Metadata = new V1ObjectMeta { Name = ConfigMapName, NamespaceProperty = key, Annotations = new Dictionary<string, string> { [DescriptionAnnotation] = Description } },
                    Data = new Dictionary<string, string> { ["ca.crt"] = _rootCa },
                }, cancellationToken);
                ServiceAccountsLog.Published(Logger, key);
                return;
            }

            if (current.Data is { Count: 1 } data && data.TryGetValue("ca.crt", out var ca) && ca == _rootCa &&
                current.Metadata.Annotations is { } annotations && annotations.TryGetValue(DescriptionAnnotation, out var description) && description == Description)
            {
                return;
            }

            current.Data = new Dictionary<string, string> { ["ca.crt"] = _rootCa };
            current.Metadata.Annotations ??= new Dictionary<string, string>();
            current.Metadata.Annotations[DescriptionAnnotation] = Description;
            await _client.UpdateAsync(current, cancellationToken);
            ServiceAccountsLog.Published(Logger, key);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists || e.Code == 403 || e.IsNotFound)
        {
            // Created by someone else (the next event reconciles it), or the namespace is going away.
        }
    }

    private void Changed(V1ConfigMap cm)
    {
        if (cm.Metadata.Name == ConfigMapName)
        {
            Enqueue(cm.Metadata.NamespaceProperty);
        }
    }
}

internal static partial class ServiceAccountsLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "created service account {Namespace}/{Name}")]
    public static partial void Created(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "published the root CA in {Namespace}/kube-root-ca.crt")]
    public static partial void Published(ILogger logger, string @namespace);
}
