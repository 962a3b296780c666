using System.Net;
using System.Net.Sockets;
using Strata.Dns.Configuration;
using Strata.Dns.Serving;
using Strata.Dns.Tests.Support;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests;

/// <summary>The UDP side of <see cref="DnsServer"/> under concurrency: several receive loops replying on one socket.</summary>
public sealed class DnsServerUdpTests
{
    [Fact]
    public async Task ReceiveLoopsReplyingAtOnceOnOneSocketKeepServing()
    {
        var cluster = Fixture.CoreDnsCluster();
        var handler = new DnsHandler(() => cluster);
        handler.Apply(new DnsConfig { Ttl = 5 });
        var server = DnsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), handler, udpLoops: 4);
        var loopsFailed = false;
        try
        {
            var query = DnsWriter.Write(DnsMessage.Query(7, "svc1.testns.svc.cluster.local", DnsType.A));
            // As fast as four clients can send: the loops reply in parallel (some datagrams are dropped, which is fine).
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                using var udp = new UdpClient();
                udp.Connect(server.Endpoint);
                for (var i = 0; i < 20_000; i++)
                {
                    await udp.SendAsync(query);
                }
            })));

            // The server still answers once the backlog has drained; a loop that died is reported by DisposeAsync below.
            using var client = new UdpClient();
            client.Connect(server.Endpoint);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            var answers = 0;
            while (answers < 16 && DateTime.UtcNow < deadline)
            {
                await client.SendAsync(query);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                var reply = await client.ReceiveAsync(wait.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Buffer : null, TaskScheduler.Default);
                if (reply is not null)
                {
                    Assert.Equal(DnsRcode.NoError, DnsReader.Parse(reply).Rcode);
                    answers++;
                }
            }

            Assert.True(answers == 16, $"{answers} of 16 queries after the flood were answered");
        }
        finally
        {
            // A receive loop that failed surfaces here, with its exception.
            try
            {
                await server.DisposeAsync();
            }
            catch (Exception e) when (e is ArgumentException or NullReferenceException)
            {
                loopsFailed = true;
            }
        }

        Assert.False(loopsFailed, "a UDP receive loop failed while replying");
    }
}
