using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Strata.Dns.Cluster;
using Strata.Dns.Configuration;
using Strata.Dns.Serving;
using Strata.Dns.Tests.Support;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests;

/// <summary>Request bytes to response bytes: FORMERR for what does not parse, EDNS0 sizes, TC over UDP, the other refusals.</summary>
public sealed class DnsHandlerTests
{
    private static DnsHandler Handler(ClusterSnapshot? snapshot = null, params IPEndPoint[] upstreams)
    {
        var cluster = snapshot ?? Fixture.CoreDnsCluster();
        var handler = new DnsHandler(() => cluster);
        handler.Apply(new DnsConfig { Ttl = 5, Upstreams = upstreams });
        return handler;
    }

    private static async Task<DnsMessage> AskAsync(DnsHandler handler, DnsMessage query, bool tcp = false)
    {
        var bytes = await handler.HandleAsync(DnsWriter.Write(query), tcp, CancellationToken.None);
        Assert.NotNull(bytes);
        return DnsReader.Parse(bytes);
    }

    [Fact]
    public async Task AnswersAreAuthoritativeAndEchoTheQuestion()
    {
        var reply = await AskAsync(Handler(), DnsMessage.Query(4711, "svc1.testns.svc.cluster.local", DnsType.A));
        Assert.Equal(4711, reply.Id);
        Assert.True(reply.Flags is { Response: true, Authoritative: true, RecursionDesired: true, RecursionAvailable: true, Truncated: false });
        Assert.Equal("svc1.testns.svc.cluster.local", reply.Question!.Name);
        Assert.Equal(["svc1.testns.svc.cluster.local.\t5\tIN\tA\t10.0.0.1"], Fixture.Lines(reply.Answers));
        Assert.Null(reply.Edns);
    }

    [Fact]
    public async Task MalformedQueriesGetFormerrWithTheirIdAndTheNextQueryIsAnswered()
    {
        var handler = Handler();
        // A header, one question, and then a compression pointer to itself.
        byte[] loop = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        var reply = DnsReader.Parse((await handler.HandleAsync(loop, tcp: false, CancellationToken.None))!);
        Assert.Equal(0xABCD, reply.Id);
        Assert.Equal(DnsRcode.FormErr, reply.Rcode);
        Assert.True(reply.Flags.Response);
        Assert.Empty(reply.Questions);
        Assert.Equal(DnsRcode.NoError, (await AskAsync(handler, DnsMessage.Query(1, "svc1.testns.svc.cluster.local", DnsType.A))).Rcode);
    }

    [Fact]
    public async Task WhatHasNoHeaderOrIsAResponseIsDropped()
    {
        var handler = Handler();
        Assert.Null(await handler.HandleAsync(new byte[] { 1, 2, 3 }, false, CancellationToken.None));
        var response = DnsWriter.Write(DnsMessage.ReplyTo(DnsMessage.Query(1, "a.example", DnsType.A), DnsRcode.NoError));
        Assert.Null(await handler.HandleAsync(response, false, CancellationToken.None));
    }

    [Fact]
    public async Task RandomInputNeverThrowsAndAnythingAnsweredParses()
    {
        var handler = Handler();
        var random = new Random(7);
        var valid = DnsWriter.Write(DnsMessage.Query(1, "hdls1.testns.svc.cluster.local", DnsType.SRV, edns: new Edns(1232)));
        for (var i = 0; i < 5000; i++)
        {
            var message = valid.ToArray();
            for (var f = 0; f < 1 + (i % 4); f++)
            {
                message[random.Next(2, message.Length)] = (byte)random.Next(256);
            }

            message[2] &= 0x7F; // keep it a query, so that an answer is due
            var answer = await handler.HandleAsync(message.AsMemory(0, random.Next(12, message.Length + 1)), tcp: false, CancellationToken.None);
            if (answer is not null)
            {
                Assert.True(answer.Length <= 4096);
                DnsReader.Parse(answer);
            }
        }
    }

    [Fact]
    public async Task QuestionCountOtherThanOneIsFormerrAndOtherOpcodesNotimp()
    {
        var handler = Handler();
        var none = await AskAsync(handler, new DnsMessage { Id = 2, Flags = new DnsFlags(RecursionDesired: true) });
        Assert.Equal(DnsRcode.FormErr, none.Rcode);
        var two = await AskAsync(handler, DnsMessage.Query(3, "a.example", DnsType.A) with
        {
            Questions = [new DnsQuestion("a.example", DnsType.A), new DnsQuestion("b.example", DnsType.A)],
        });
        Assert.Equal(DnsRcode.FormErr, two.Rcode);
        var update = await AskAsync(handler, DnsMessage.Query(4, "cluster.local", DnsType.SOA) with { Flags = new DnsFlags(Opcode: DnsOpcode.Update) });
        Assert.Equal(DnsRcode.NotImp, update.Rcode);
        var axfr = await AskAsync(handler, DnsMessage.Query(5, "cluster.local", DnsType.AXFR));
        Assert.Equal(DnsRcode.Refused, axfr.Rcode);
    }

    [Fact]
    public async Task EdnsIsAnsweredWithOptAndAnUnknownVersionWithBadvers()
    {
        var handler = Handler();
        var reply = await AskAsync(handler, DnsMessage.Query(1, "svc1.testns.svc.cluster.local", DnsType.A, edns: new Edns(4096, DnssecOk: true)));
        Assert.NotNull(reply.Edns);
        Assert.Equal(1232, reply.Edns.UdpPayloadSize);
        Assert.True(reply.Edns.DnssecOk);
        var bad = await AskAsync(handler, DnsMessage.Query(1, "svc1.testns.svc.cluster.local", DnsType.A, edns: new Edns(4096, Version: 1)));
        Assert.Equal(DnsRcode.BadVers, bad.Rcode);
        Assert.Empty(bad.Answers);
    }

    private static ClusterSnapshot BigHeadless(int endpoints) => ClusterSnapshot.Build(
        [Fixture.Namespace("testns")],
        [Fixture.Headless("testns", "big", false, ("http", "TCP", 80))],
        [Fixture.Slice("testns", "big", "IPv4", [("http", "TCP", 80)], [.. Enumerable.Range(0, endpoints).Select(i => ($"10.1.{i / 250}.{(i % 250) + 1}", (string?)null, true))])],
        [], 1);

    [Fact]
    public async Task UdpAnswersFitTheAdvertisedSizeWithTcAndTcpGetsEverything()
    {
        var handler = Handler(BigHeadless(300));
        var name = "big.testns.svc.cluster.local";
        var plain = await handler.HandleAsync(DnsWriter.Write(DnsMessage.Query(1, name, DnsType.A)), false, CancellationToken.None);
        Assert.True(plain!.Length <= 512, $"{plain.Length} bytes");
        var truncated = DnsReader.Parse(plain);
        Assert.True(truncated.Flags.Truncated);
        Assert.Equal((512 - 12 - 34) / 16, truncated.Answers.Count);

        var edns = await handler.HandleAsync(DnsWriter.Write(DnsMessage.Query(2, name, DnsType.A, edns: new Edns(1232))), false, CancellationToken.None);
        Assert.True(edns!.Length <= 1232, $"{edns.Length} bytes");
        var bigger = DnsReader.Parse(edns);
        Assert.True(bigger.Flags.Truncated);
        Assert.Equal((1232 - 12 - 34 - 11) / 16, bigger.Answers.Count);

        // A payload size below 512 counts as 512 (RFC 6891 6.2.5).
        var tiny = await handler.HandleAsync(DnsWriter.Write(DnsMessage.Query(3, name, DnsType.A, edns: new Edns(100))), false, CancellationToken.None);
        Assert.InRange(tiny!.Length, 400, 512);

        var tcp = DnsReader.Parse((await handler.HandleAsync(DnsWriter.Write(DnsMessage.Query(4, name, DnsType.A)), true, CancellationToken.None))!);
        Assert.False(tcp.Flags.Truncated);
        Assert.Equal(300, tcp.Answers.Count);
    }

    [Fact]
    public async Task WithoutReachableUpstreamsForwardedNamesAreServfailAtOnce()
    {
        // A loopback port nobody listens on: the kernel answers ICMP port unreachable.
        using var unused = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        unused.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)unused.LocalEndPoint!).Port;
        unused.Close();
        var handler = Handler(null, new IPEndPoint(IPAddress.Loopback, port));
        var watch = Stopwatch.StartNew();
        var first = await AskAsync(handler, DnsMessage.Query(1, "example.com", DnsType.A));
        var second = await AskAsync(handler, DnsMessage.Query(2, "example.org", DnsType.A));
        Assert.Equal(DnsRcode.ServFail, first.Rcode);
        Assert.Equal(DnsRcode.ServFail, second.Rcode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"took {watch.Elapsed}");
        var none = Handler();
        Assert.Equal(DnsRcode.ServFail, (await AskAsync(none, DnsMessage.Query(3, "example.com", DnsType.A))).Rcode);
    }

    [Fact]
    public async Task BeforeTheFirstSyncClusterNamesAreServfail()
    {
        var handler = Handler(ClusterSnapshot.NotSynced);
        var reply = await AskAsync(handler, DnsMessage.Query(1, "svc1.testns.svc.cluster.local", DnsType.A));
        Assert.Equal(DnsRcode.ServFail, reply.Rcode);
    }

    [Fact]
    public async Task AFailureInsideTheServerIsServfailAndTheNextQueryIsAnswered()
    {
        var fail = true;
        var cluster = Fixture.CoreDnsCluster();
        var handler = new DnsHandler(() => fail ? throw new InvalidOperationException("snapshot unavailable") : cluster);
        handler.Apply(new DnsConfig());
        var reply = await AskAsync(handler, DnsMessage.Query(9, "svc1.testns.svc.cluster.local", DnsType.A));
        Assert.Equal(9, reply.Id);
        Assert.Equal(DnsRcode.ServFail, reply.Rcode);
        fail = false;
        Assert.Equal(DnsRcode.NoError, (await AskAsync(handler, DnsMessage.Query(10, "svc1.testns.svc.cluster.local", DnsType.A))).Rcode);
    }

    [Fact]
    public async Task AnExternalNameThatCannotBeWrittenIsServfail()
    {
        var snapshot = ClusterSnapshot.Build([Fixture.Namespace("ns")], [Fixture.ExternalName("ns", "long", new string('x', 64) + ".example")], [], [], 1);
        var reply = await AskAsync(Handler(snapshot), DnsMessage.Query(1, "long.ns.svc.cluster.local", DnsType.CNAME));
        Assert.Equal(DnsRcode.ServFail, reply.Rcode);
    }

    [Fact]
    public void DashedIpLabelsFollowCoreDns()
    {
        Assert.Equal("172-0-0-2", DashedIp.Format(IPAddress.Parse("172.0.0.2")));
        Assert.Equal("5678-abcd--1", DashedIp.Format(IPAddress.Parse("5678:abcd::1")));
        Assert.Equal("fd00--0", DashedIp.Format(IPAddress.Parse("fd00::")));
        Assert.Equal(IPAddress.Parse("fd00::"), DashedIp.Parse("fd00--0"));
        Assert.Equal(IPAddress.Parse("1.2.3.4"), DashedIp.Parse("1-2-3-4"));
        Assert.Null(DashedIp.Parse("1-2-3"));
        Assert.Null(DashedIp.Parse("01-2-3-4x"));
    }
}
