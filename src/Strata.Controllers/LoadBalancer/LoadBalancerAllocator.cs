using System.Net;
using Strata.Controllers.NodeIpam;

namespace Strata.Controllers.LoadBalancer;

/// <summary>The address a Service was given, or why it got none (the text of its AllocationFailed Event).</summary>
public sealed record LoadBalancerAllocation(IPAddress? Address, string? Error)
{
    public bool Succeeded => Address is not null;
}

/// <summary>
/// Which Service holds which pool address, in memory (MetalLB's controller <c>internal/allocator</c>): a Service keeps
/// its address until it is released; a requested address (<c>spec.loadBalancerIP</c>) must be in the pool and free;
/// otherwise the lowest free address is taken. The controller rebuilds it from the Services' statuses at start, so
/// that an address survives a restart. Pure and thread-safe.
/// </summary>
public sealed class LoadBalancerAllocator(AddressPool pool)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, IPAddress> _byService = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, string> _byAddress = [];

    public AddressPool Pool => pool;

    public int Used
    {
        get
        {
            lock (_lock)
            {
                return _byService.Count;
            }
        }
    }

    public IPAddress? AddressOf(string service)
    {
        lock (_lock)
        {
            return _byService.GetValueOrDefault(service);
        }
    }

    public string? HolderOf(IPAddress address)
    {
        lock (_lock)
        {
            return _byAddress.GetValueOrDefault(IpCidr.Normalize(address));
        }
    }

    /// <summary>
    /// Gives <paramref name="service"/> an address: the one it holds if that still fits the request, else the requested
    /// one, else the lowest free one. On failure the Service holds nothing afterwards (MetalLB clears its state too).
    /// </summary>
    public LoadBalancerAllocation Assign(string service, IPAddress? requested = null)
    {
        requested = requested is null ? null : IpCidr.Normalize(requested);
        lock (_lock)
        {
            if (_byService.TryGetValue(service, out var held))
            {
                if (requested is null || requested.Equals(held))
                {
                    return new(held, null);
                }

                Forget(service);
            }

            if (requested is not null)
            {
                if (!pool.Contains(requested))
                {
                    return new(null, $"requested IP \"{requested}\" is not in the pool {pool.Text}");
                }

                if (_byAddress.TryGetValue(requested, out var holder))
                {
                    return new(null, $"requested IP \"{requested}\" is already assigned to {holder}");
                }

                Hold(service, requested);
                return new(requested, null);
            }

            if ((UInt128)_byAddress.Count >= pool.Size)
            {
                return new(null, $"no available IPs in pool {pool.Text} ({_byAddress.Count} of {pool.Size} in use)");
            }

            var free = pool.Addresses().First(a => !_byAddress.ContainsKey(a));
            Hold(service, free);
            return new(free, null);
        }
    }

    /// <summary>Frees the Service's address; false if it held none.</summary>
    public bool Release(string service)
    {
        lock (_lock)
        {
            return Forget(service);
        }
    }

    private void Hold(string service, IPAddress address)
    {
        _byService[service] = address;
        _byAddress[address] = service;
    }

    private bool Forget(string service)
    {
        if (!_byService.Remove(service, out var address))
        {
            return false;
        }

        _byAddress.Remove(address);
        return true;
    }
}
