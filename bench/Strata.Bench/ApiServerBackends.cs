using Strata.ApiServer.Storage;

namespace Strata.Bench;

/// <summary>
/// The storage backends <c>strata bench apiserver</c> measures on this machine: SQLite always, and etcd (kube-apiserver's
/// store, the reference) when Debian's etcd-server is installed. Both keep their data in the same temporary directory's
/// file system, so neither gets a faster disk.
/// </summary>
public static class ApiServerBackends
{
    public static IReadOnlyList<ApiServerBenchmark.Backend> Available()
    {
        var backends = new List<ApiServerBenchmark.Backend> { new("sqlite", _ => Task.FromResult<IAsyncDisposable?>(null)) };
        if (LocalEtcd.SkipReason is null)
        {
            backends.Add(new("etcd", async options =>
            {
                var etcd = await LocalEtcd.StartAsync(options.DataDirectory);
                options.EtcdServers = etcd.Endpoint;
                return etcd;
            }));
        }

        return backends;
    }
}
