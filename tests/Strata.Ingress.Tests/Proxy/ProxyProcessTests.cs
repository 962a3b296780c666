using Strata.Ingress.Proxy;

namespace Strata.Ingress.Tests.Proxy;

/// <summary>
/// The process setting <c>strata ingress</c> applies before its first socket. This test process's socket engine was made
/// long before, so only the variable is looked at here; the bench and the lab tests run the proxy in that mode.
/// </summary>
public sealed class ProxyProcessTests
{
    [Fact]
    public void InlineCompletionsAreTurnedOnUnlessTheEnvironmentChose()
    {
        var saved = Environment.GetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable);
        try
        {
            Environment.SetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable, null);
            Assert.False(ProxyProcess.InlineCompletions);
            ProxyProcess.UseInlineCompletions();
            Assert.Equal("1", Environment.GetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable));
            Assert.True(ProxyProcess.InlineCompletions);

            Environment.SetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable, "0");
            ProxyProcess.UseInlineCompletions();
            Assert.Equal("0", Environment.GetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable));
            Assert.False(ProxyProcess.InlineCompletions);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ProxyProcess.InlineCompletionsVariable, saved);
        }
    }
}
