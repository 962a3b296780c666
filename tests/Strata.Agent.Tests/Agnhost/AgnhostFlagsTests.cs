using Strata.Agent.Agnhost;

namespace Strata.Agent.Tests.Agnhost;

public sealed class AgnhostFlagsTests
{
    [Theory]
    [InlineData(new string[0], 8080, 8081, 0)]
    [InlineData(new[] { "--http-port=9000" }, 9000, 8081, 0)]
    [InlineData(new[] { "--http-port", "9000", "--udp-port=-1" }, 9000, -1, 0)]
    [InlineData(new[] { "--udp-port", "-1", "--delay-shutdown=5" }, 8080, -1, 5)]
    public void Parses_netexec_flags_as_pflag(string[] args, int http, int udp, int delay)
    {
        var flags = NetexecOptions.Flags();
        flags.Parse(args);
        var options = NetexecOptions.From(flags);
        Assert.Equal(http, options.HttpPort);
        Assert.Equal(udp, options.UdpPort);
        Assert.Equal(delay, options.DelayShutdown);
        Assert.Equal(-1, options.SctpPort);
    }

    [Theory]
    [InlineData(new string[0], true, false, false, 9376)]
    [InlineData(new[] { "--http=false", "--udp", "--tcp", "--port", "9000" }, false, true, true, 9000)]
    [InlineData(new[] { "--http=0", "--udp=true" }, false, true, false, 9376)]
    public void Parses_bool_flags(string[] args, bool http, bool udp, bool tcp, int port)
    {
        var flags = ServeHostnameOptions.Flags();
        flags.Parse(args);
        var options = ServeHostnameOptions.From(flags);
        Assert.Equal((http, udp, tcp, port), (options.Http, options.Udp, options.Tcp, options.Port));
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "unknown flag: --bogus")]
    [InlineData(new[] { "--http-port" }, "flag needs an argument: --http-port")]
    [InlineData(new[] { "--http-port=abc" }, "invalid argument \"abc\" for \"--http-port\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax")]
    [InlineData(new[] { "extra" }, "accepts at most 0 arg(s), received 1")]
    [InlineData(new[] { "-x" }, "unknown shorthand flag: 'x' in -x")]
    public void Rejects_bad_flags_with_pflags_words(string[] args, string message)
    {
        var error = Assert.Throws<AgnhostUsageException>(() => NetexecOptions.Flags().Parse(args));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Help_is_noticed()
    {
        var flags = NetexecOptions.Flags();
        flags.Parse(["--help"]);
        Assert.True(flags.HelpRequested);
        Assert.Contains("--http-port int   HTTP Listen Port (default 8080)", flags.Usage(), StringComparison.Ordinal);
    }
}
