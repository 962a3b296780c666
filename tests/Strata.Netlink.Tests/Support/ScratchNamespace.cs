namespace Strata.Netlink.Tests;

/// <summary>
/// A uniquely named network namespace for one test, with a netlink socket in it. Disposing it
/// deletes the namespace, which takes every link, address, route and rule in it along.
/// </summary>
public sealed class ScratchNamespace : IDisposable
{
    private ScratchNamespace(string name)
    {
        Name = name;
        Namespace = NetworkNamespace.Create(name);
        try
        {
            Netlink = Rtnetlink.Open(Namespace);
        }
        catch
        {
            Namespace.Dispose();
            NetworkNamespace.Delete(name);
            throw;
        }
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public Rtnetlink Netlink { get; }

    /// <summary>Names look like <c>strata-t-ab12cd34</c>: the <c>strata</c> prefix marks everything the project creates.</summary>
    public static ScratchNamespace Create() => new($"strata-t-{Guid.NewGuid().ToString("N")[..8]}");

    public void Dispose()
    {
        Netlink.Dispose();
        Namespace.Dispose();
        if (NetworkNamespace.Exists(Name))
        {
            NetworkNamespace.Delete(Name);
        }
    }
}
