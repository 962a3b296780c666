using System.Text;
using System.Text.Json.Nodes;
using Strata.Agent.Server;

namespace Strata.Agent.Tests.Server;

public sealed class ChannelProtocolTests
{
    [Theory]
    [InlineData(new[] { "v5.channel.k8s.io" }, "v5.channel.k8s.io")]
    [InlineData(new[] { "v5.channel.k8s.io", "v4.channel.k8s.io" }, "v5.channel.k8s.io")]
    [InlineData(new[] { "v4.channel.k8s.io", "v5.channel.k8s.io" }, "v4.channel.k8s.io")]
    [InlineData(new[] { "v3.channel.k8s.io", "channel.k8s.io" }, "channel.k8s.io")]
    [InlineData(new[] { "base64.channel.k8s.io" }, "base64.channel.k8s.io")]
    [InlineData(new[] { "v4.base64.channel.k8s.io" }, "v4.base64.channel.k8s.io")]
    [InlineData(new string[0], "")]
    [InlineData(new[] { "SPDY/3.1" }, null)]
    public void The_first_offered_supported_protocol_wins(string[] offered, string? expected) =>
        Assert.Equal(expected, ChannelProtocol.Negotiate(offered)?.Name);

    [Theory]
    [InlineData("v5.channel.k8s.io", 1, "hi\n", new byte[] { 1, (byte)'h', (byte)'i', (byte)'\n' })]
    [InlineData("v4.channel.k8s.io", 3, "", new byte[] { 3 })]
    [InlineData("base64.channel.k8s.io", 1, "hi\n", new byte[] { (byte)'1', (byte)'a', (byte)'G', (byte)'k', (byte)'K' })]
    [InlineData("v4.base64.channel.k8s.io", 2, "", new byte[] { (byte)'2' })]
    public void Messages_start_with_their_channel(string protocol, byte channel, string data, byte[] expected)
    {
        var codec = ChannelProtocol.Negotiate([protocol])!;
        var message = codec.Encode(channel, Encoding.UTF8.GetBytes(data));
        Assert.Equal(expected, message);
        var decoded = codec.Decode(message)!;
        Assert.Equal(channel, decoded.Channel);
        Assert.Equal(data, Encoding.UTF8.GetString(decoded.Data));
    }

    [Fact]
    public void An_empty_message_or_bad_base64_is_ignored()
    {
        Assert.Null(ChannelProtocol.V5.Decode([]));
        Assert.Null(ChannelProtocol.V1Base64.Decode("0!!!"u8));
    }

    [Theory]
    [InlineData(new byte[] { 255, 0 }, (byte)0)]
    [InlineData(new byte[] { 255, 1 }, (byte)1)]
    [InlineData(new byte[] { 255 }, null)]
    [InlineData(new byte[] { 0, 0 }, null)]
    public void V5_close_names_the_finished_stream(byte[] message, byte? closed) =>
        Assert.Equal(closed, ChannelProtocol.V5.Decode(message)!.ClosedChannel);

    [Theory]
    [InlineData("{\"Width\":100,\"Height\":30}", 100, 30)]
    [InlineData("{\"Height\":24,\"Width\":80}", 80, 24)]
    public void Resize_messages_give_the_terminal_size(string json, int width, int height) =>
        Assert.Equal(new TerminalSize((ushort)width, (ushort)height), TerminalSize.Parse(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("{\"Width\":-1,\"Height\":30}")]
    [InlineData("{\"Width\":80}")]
    [InlineData("not json")]
    public void Bad_resize_messages_are_ignored(string json) => Assert.Null(TerminalSize.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Success_is_a_success_status_from_v4_and_nothing_before()
    {
        var success = ExecStatus.Exited(0);
        Assert.Equal("""{"metadata":{},"status":"Success"}""", Encoding.UTF8.GetString(success.Payload(ChannelProtocol.V5, ["true"])!));
        Assert.Null(success.Payload(ChannelProtocol.V1, ["true"]));
    }

    [Fact]
    public void A_non_zero_exit_carries_its_code_as_kubectl_reads_it()
    {
        var status = JsonNode.Parse(ExecStatus.Exited(3).Payload(ChannelProtocol.V4, ["sh", "-c", "exit 3"]))!;
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        Assert.Equal("ExitCode", (string?)status["details"]!["causes"]![0]!["reason"]);
        Assert.Equal("3", (string?)status["details"]!["causes"]![0]!["message"]);
        Assert.Equal("command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3", (string?)status["message"]);
        Assert.Equal("command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
            Encoding.UTF8.GetString(ExecStatus.Exited(3).Payload(ChannelProtocol.V1, ["sh", "-c", "exit 3"])!));
    }

    [Fact]
    public void A_failure_to_start_is_an_internal_error()
    {
        var status = JsonNode.Parse(ExecStatus.Failed("boom").Payload(ChannelProtocol.V5, ["x"]))!;
        Assert.Equal("InternalError", (string?)status["reason"]);
        Assert.Equal("Internal error occurred: boom", (string?)status["message"]);
        Assert.Equal(500, (int?)status["code"]);
    }
}
