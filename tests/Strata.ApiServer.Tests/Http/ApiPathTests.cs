using Strata.ApiServer.Http;

namespace Strata.ApiServer.Tests.Http;

public sealed class ApiPathTests
{
    [Theory]
    [InlineData("/api/v1/pods", "", "v1", "pods", null, null, null, false)]
    [InlineData("/api/v1/namespaces/default/pods/web/status", "", "v1", "pods", "default", "web", "status", false)]
    [InlineData("/api/v1/namespaces/default", "", "v1", "namespaces", null, "default", null, false)]
    [InlineData("/api/v1/namespaces/demo/finalize", "", "v1", "namespaces", null, "demo", "finalize", false)]
    [InlineData("/api/v1/namespaces/demo/services", "", "v1", "services", "demo", null, null, false)]
    [InlineData("/apis/apps/v1/namespaces/default/deployments/nginx/scale", "apps", "v1", "deployments", "default", "nginx", "scale", false)]
    [InlineData("/api/v1/watch/namespaces/default/pods", "", "v1", "pods", "default", null, null, true)]
    [InlineData("/apis/networking.k8s.io/v1/ingressclasses/nginx", "networking.k8s.io", "v1", "ingressclasses", null, "nginx", null, false)]
    public void Paths_split_as_requestinfo_does(string path, string group, string version, string resource, string? ns, string? name, string? sub, bool watch) =>
        Assert.Equal(new ApiPath(group, version, resource, ns, name, sub, watch), ApiPath.Parse(path));

    [Theory]
    [InlineData("/api")]
    [InlineData("/api/v1")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/api/v1/namespaces/default/pods/web/status/extra")]
    public void Non_resource_paths_are_not_parsed(string path) => Assert.Null(ApiPath.Parse(path));
}
