using Strata.ApiServer.Storage;

namespace Strata.ApiServer.Tests.Support;

/// <summary>A test that runs a private etcd: skipped, with the reason, where <c>/usr/bin/etcd</c> is missing.</summary>
public sealed class EtcdFactAttribute : FactAttribute
{
    public EtcdFactAttribute()
    {
        if (LocalEtcd.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>One etcd shared by the tests of a class (they run one at a time); none if etcd is missing (the tests skip).</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    public LocalEtcd? Server { get; private set; }

    public async Task InitializeAsync()
    {
        if (LocalEtcd.SkipReason is null)
        {
            Server = await LocalEtcd.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
