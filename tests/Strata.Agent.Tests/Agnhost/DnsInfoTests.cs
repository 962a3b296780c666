using Strata.Agent.Agnhost;

namespace Strata.Agent.Tests.Agnhost;

public sealed class DnsInfoTests
{
    private const string KubeletResolvConf =
        "nameserver 10.233.0.3\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n";

    [Fact]
    public void Search_list_is_the_first_search_line()
    {
        Assert.Equal(["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], DnsInfo.SearchList(KubeletResolvConf));
    }

    [Fact]
    public void Server_list_is_the_first_nameserver_line_only()
    {
        Assert.Equal(["10.233.0.3"], DnsInfo.ServerList(KubeletResolvConf + "nameserver 10.0.0.9\n"));
    }

    [Fact]
    public void Absent_lines_are_null()
    {
        Assert.Null(DnsInfo.SearchList("nameserver 1.1.1.1\n"));
        Assert.Null(DnsInfo.ServerList("search a\n"));
    }
}
