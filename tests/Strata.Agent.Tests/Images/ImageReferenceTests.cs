using Strata.Agent.Images;

namespace Strata.Agent.Tests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, "nginx")]
    [InlineData("nginx:1.25", "docker.io", "library/nginx", "1.25", "nginx")]
    [InlineData("docker.io/library/nginx:alpine", "docker.io", "library/nginx", "alpine", "nginx")]
    [InlineData("registry.k8s.io/e2e-test-images/agnhost:2.52", "registry.k8s.io", "e2e-test-images/agnhost", "2.52", "agnhost")]
    [InlineData("registry.k8s.io/pause:3.10", "registry.k8s.io", "pause", "3.10", "pause")]
    [InlineData("localhost:5000/team/app:v1", "localhost:5000", "team/app", "v1", "app")]
    [InlineData("curlimages/curl", "docker.io", "curlimages/curl", null, "curl")]
    [InlineData("Busybox@sha256:abc", "docker.io", "library/busybox", null, "busybox")]
    public void Parses_as_docker_normalises(string image, string registry, string repository, string? tag, string name)
    {
        var reference = ImageReference.Parse(image);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(name, reference.Name);
    }

    [Fact]
    public void Keeps_the_digest()
    {
        Assert.Equal("sha256:abc", ImageReference.Parse("nginx:1.25@sha256:abc").Digest);
    }
}
