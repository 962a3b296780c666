using System.Net.Sockets;
using Strata.Proxy.Iptables;
using Strata.Proxy.Model;

namespace Strata.Proxy;

/// <summary>The proxy modes; one desired-state model, one renderer per mode.</summary>
public enum ProxyMode
{
    Iptables,
}

/// <summary>
/// What <c>strata proxy render</c> does: objects in, the payload the proxy would apply out, with no kernel involved.
/// The same path as the agent's sync: change tracker, model, renderer.
/// </summary>
public static class ProxyRender
{
    public static string Render(ObjectFile objects, ProxySettings settings)
    {
        var mode = settings.ParseMode();
        var options = settings.ToIptablesOptions();
        var tracker = new ProxyChangeTracker(settings.NodeName, AddressFamily.InterNetwork);
        foreach (var service in objects.Services)
        {
            tracker.UpsertService(service);
        }

        foreach (var slice in objects.EndpointSlices)
        {
            tracker.UpsertEndpointSlice(slice);
        }

        var model = ProxyModel.Build(tracker.Checkout());
        return mode switch
        {
            ProxyMode.Iptables => IptablesRenderer.Render(model, options).Text,
            _ => throw new NotSupportedException($"no renderer for proxy mode {mode} yet"),
        };
    }
}
