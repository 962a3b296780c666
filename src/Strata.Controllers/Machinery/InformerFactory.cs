using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Controllers.Client;

namespace Strata.Controllers.Machinery;

/// <summary>client-go's SharedInformerFactory: one informer (and one watch) per type, shared by every controller.</summary>
public sealed class InformerFactory(IKubeClient client, ILoggerFactory? loggers = null)
{
    private readonly Dictionary<Type, IInformer> _informers = [];
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public IKubeClient Client => client;

    public Informer<T> For<T>() where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_informers)
        {
            if (!_informers.TryGetValue(typeof(T), out var informer))
            {
                _informers[typeof(T)] = informer = new Informer<T>(client, ListRequest.All, _loggers.CreateLogger($"Strata.Controllers.Informer.{typeof(T).Name}"));
            }

            return (Informer<T>)informer;
        }
    }

    /// <summary>The informer for <typeparamref name="T"/> if some controller asked for one (never creates it).</summary>
    public Informer<T>? Find<T>() where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_informers)
        {
            return _informers.GetValueOrDefault(typeof(T)) as Informer<T>;
        }
    }

    public IReadOnlyList<IInformer> All
    {
        get
        {
            lock (_informers)
            {
                return [.. _informers.Values];
            }
        }
    }
}
