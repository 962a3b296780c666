using System.Buffers.Binary;
using System.Net;
using Strata.Dns.Wire;

namespace Strata.Dns.Tests;

/// <summary>The RFC 1035 codec: round trips, name compression, EDNS0 OPT, truncation, and every malformed input refused with where it is wrong.</summary>
public sealed class WireTests
{
    private static DnsMessage Sample() => new()
    {
        Id = 0xBEEF,
        Flags = new DnsFlags(Response: true, Authoritative: true, RecursionDesired: true, RecursionAvailable: true),
        Rcode = DnsRcode.NoError,
        Questions = [new DnsQuestion("svc1.testns.svc.cluster.local", DnsType.ANY)],
        Answers =
        [
            DnsRecord.Address("svc1.testns.svc.cluster.local", 30, IPAddress.Parse("10.0.0.1")),
            DnsRecord.Address("svc1.testns.svc.cluster.local", 30, IPAddress.Parse("1234:abcd::1")),
            new("svc1.testns.svc.cluster.local", DnsType.SRV, DnsClass.IN, 30, new SrvData(0, 100, 80, "svc1.testns.svc.cluster.local")),
            new("ext.testns.svc.cluster.local", DnsType.CNAME, DnsClass.IN, 30, new NameData("example.com")),
            new("1.0.0.10.in-addr.arpa", DnsType.PTR, DnsClass.IN, 30, new NameData("svc1.testns.svc.cluster.local")),
            new("dns-version.cluster.local", DnsType.TXT, DnsClass.IN, 28800, new TxtData(["1.1.0", "", "two words"])),
            new("example.com", DnsType.MX, DnsClass.IN, 60, new MxData(10, "mail.example.com")),
            new("example.com", (DnsType)99, DnsClass.IN, 60, new RawData([1, 2, 3])),
        ],
        Authority = [new("cluster.local", DnsType.SOA, DnsClass.IN, 30, new SoaData("ns.dns.cluster.local", "hostmaster.cluster.local", 42, 7200, 1800, 86400, 30))],
        Additional = [new("cluster.local", DnsType.NS, DnsClass.IN, 30, new NameData("ns.dns.cluster.local"))],
        Edns = new Edns(1232, DnssecOk: true, Options: []),
    };

    private static void AssertSame(DnsMessage expected, DnsMessage actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.Rcode, actual.Rcode);
        Assert.Equal(expected.Questions, actual.Questions);
        Assert.Equal(expected.Answers, actual.Answers);
        Assert.Equal(expected.Authority, actual.Authority);
        Assert.Equal(expected.Additional, actual.Additional);
        Assert.Equal(expected.Edns?.UdpPayloadSize, actual.Edns?.UdpPayloadSize);
        Assert.Equal(expected.Edns?.DnssecOk, actual.Edns?.DnssecOk);
    }

    [Fact]
    public void EveryRecordKindRoundTrips()
    {
        var message = Sample();
        AssertSame(message, DnsReader.Parse(DnsWriter.Write(message)));
    }

    [Fact]
    public void NamesWithEscapedBytesRoundTrip()
    {
        var message = DnsMessage.Query(7, @"a\.b.c\\d.\000\255x.example", DnsType.A);
        var parsed = DnsReader.Parse(DnsWriter.Write(message));
        Assert.Equal(@"a\.b.c\\d.\000\255x.example", parsed.Question!.Name);
        Assert.Equal(4, DnsName.Labels(parsed.Question.Name).Count);
    }

    [Fact]
    public void RepeatedNamesArePointersToTheirFirstWriting()
    {
        var name = "svc1.testns.svc.cluster.local";
        var message = DnsMessage.ReplyTo(DnsMessage.Query(1, name, DnsType.A), DnsRcode.NoError) with
        {
            Answers = [DnsRecord.Address(name, 5, IPAddress.Parse("10.0.0.1")), DnsRecord.Address("other.testns.svc.cluster.local", 5, IPAddress.Parse("10.0.0.2"))],
        };
        var bytes = DnsWriter.Write(message);
        var questionEnd = 12 + name.Length + 2 + 4;
        // The first answer's owner is a pointer to the question's name at offset 12.
        Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(questionEnd)));
        // The second: the label "other" then a pointer to "testns.svc.cluster.local" inside the question (offset 12 + 5).
        var second = questionEnd + 2 + 10 + 4;
        Assert.Equal(5, bytes[second]);
        Assert.Equal("other", System.Text.Encoding.ASCII.GetString(bytes, second + 1, 5));
        Assert.Equal(0xC000 | 17, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(second + 6)));
        Assert.Equal(second + 8 + 10 + 4, bytes.Length);
        Assert.Equal(["svc1.testns.svc.cluster.local", "other.testns.svc.cluster.local"], DnsReader.Parse(bytes).Answers.Select(a => a.Name));
    }

    [Fact]
    public void CompressionIsCaseInsensitiveAndSrvTargetsAreNotCompressed()
    {
        var message = DnsMessage.ReplyTo(DnsMessage.Query(1, "X.Example", DnsType.SRV), DnsRcode.NoError) with
        {
            Answers = [new DnsRecord("x.example", DnsType.SRV, DnsClass.IN, 5, new SrvData(0, 100, 80, "x.example"))],
        };
        var bytes = DnsWriter.Write(message);
        // Owner: pointer to offset 12; SRV target: "x.example" written out in full (RFC 2782).
        var owner = 12 + 11 + 4;
        Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(owner)));
        Assert.Equal(owner + 2 + 10 + 6 + 11, bytes.Length);
    }

    [Fact]
    public void EdnsOptRecordCarriesPayloadSizeVersionDoAndExtendedRcode()
    {
        var reply = new DnsMessage
        {
            Id = 9,
            Flags = new DnsFlags(Response: true),
            Rcode = DnsRcode.BadVers,
            Edns = new Edns(4096, DnssecOk: true),
        };
        var bytes = DnsWriter.Write(reply);
        // Header RCODE holds the low 4 bits of 16 (0); the OPT TTL's top byte holds the upper 8 (1).
        Assert.Equal(0, bytes[3] & 0xF);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(10)));
        Assert.Equal([0, 0, 41, 0x10, 0x00, 1, 0, 0x80, 0, 0, 0], bytes[12..]);
        var parsed = DnsReader.Parse(bytes);
        Assert.Equal(DnsRcode.BadVers, parsed.Rcode);
        Assert.Equal(4096, parsed.Edns!.UdpPayloadSize);
        Assert.True(parsed.Edns.DnssecOk);
        Assert.Empty(parsed.Additional);
    }

    [Fact]
    public void WhatDoesNotFitIsCutAtAWholeRecordWithTheTcBit()
    {
        var name = "many.testns.svc.cluster.local";
        var answers = Enumerable.Range(0, 100).Select(i => DnsRecord.Address(name, 5, new IPAddress([10, 0, 0, (byte)i]))).ToList();
        var message = DnsMessage.ReplyTo(DnsMessage.Query(1, name, DnsType.A, edns: new Edns(512)), DnsRcode.NoError) with { Answers = answers, Edns = new Edns(1232) };
        var udp = DnsWriter.Write(message, DnsWriter.MaxUdpWithoutEdns);
        Assert.True(udp.Length <= 512, $"{udp.Length} bytes");
        var parsed = DnsReader.Parse(udp);
        Assert.True(parsed.Flags.Truncated);
        // 12 header + 35 question + 11 OPT leave 454 bytes: 28 answers of 16 bytes.
        Assert.Equal(28, parsed.Answers.Count);
        Assert.NotNull(parsed.Edns);
        var full = DnsReader.Parse(DnsWriter.Write(message));
        Assert.False(full.Flags.Truncated);
        Assert.Equal(100, full.Answers.Count);
    }

    [Fact]
    public void ADroppedAdditionalRecordDoesNotSetTc()
    {
        var name = "x.example";
        var message = DnsMessage.ReplyTo(DnsMessage.Query(1, name, DnsType.A), DnsRcode.NoError) with
        {
            Answers = [DnsRecord.Address(name, 5, IPAddress.Parse("10.0.0.1"))],
            Additional = [.. Enumerable.Range(0, 60).Select(i => DnsRecord.Address($"glue{i}.example", 5, new IPAddress([10, 1, 0, (byte)i])))],
        };
        var parsed = DnsReader.Parse(DnsWriter.Write(message, 512));
        Assert.False(parsed.Flags.Truncated);
        Assert.Single(parsed.Answers);
        Assert.InRange(parsed.Additional.Count, 1, 59);
    }

    private static byte[] Header(ushort qd = 1, ushort an = 0, ushort ns = 0, ushort ar = 0)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), qd);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), an);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), ns);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), ar);
        return header;
    }

    public static TheoryData<string, byte[], string> Malformed() => new()
    {
        { "short header", [0x12, 0x34, 0x01], "message is 3 bytes, shorter than the 12-byte header" },
        { "absurd counts", Header(qd: 65535, an: 65535), "counts (qd=65535 an=65535 ns=0 ar=0) do not fit in a 12-byte message" },
        { "truncated question", [.. Header(), 3, (byte)'c', (byte)'o', (byte)'m', 0, 0, 1], "question at offset 17 needs 4 bytes; the message ends at 19" },
        { "label past the end", [.. Header(), 10, (byte)'a', (byte)'b', 0, 0, 0], "label at offset 13 needs 10 bytes; the message ends at 18" },
        { "pointer to itself", [.. Header(), 0xC0, 12, 0, 1, 0, 1], "compression pointer at offset 12 points to 12, not before 12" },
        { "pointer forwards", [.. Header(), 0xC0, 14, 0, 1, 0, 1], "compression pointer at offset 12 points to 14, not before 12" },
        { "pointer loop", [.. Header(), 1, (byte)'a', 0xC0, 12, 0, 1, 0, 1], "compression pointer at offset 14 points to 12, not before 12" },
        { "reserved label type", [.. Header(), 0x40, 0, 0, 1, 0, 1], "reserved label type 0x40 at offset 12" },
        { "name over 255 bytes", [.. Header(), .. Enumerable.Repeat<byte[]>([63, .. Enumerable.Repeat((byte)'a', 63)], 5).SelectMany(b => b), 0, 0, 1, 0, 1], "name at offset 12 is longer than 255 bytes" },
        { "bytes after the last record", [.. Header(), 0, 0, 1, 0, 1, 0xFF], "1 bytes follow the last record at offset 17" },
        { "A record of 3 bytes", [.. Header(qd: 0, an: 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 10, 0, 0], "A RDATA at offset 23 is 3 bytes" },
        { "RDATA past the end", [.. Header(qd: 0, an: 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 9, 10, 0, 0, 1], "RDATA of a A record at offset 23 needs 9 bytes; the message ends at 27" },
        { "two OPT records", [.. Header(qd: 0, ar: 2), 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0], "a second OPT record at offset 23" },
        { "OPT not at the root", [.. Header(qd: 0, ar: 1), 1, (byte)'a', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0], "the OPT record at offset 12 is not owned by the root" },
        { "SRV too short", [.. Header(qd: 0, an: 1), 0, 0, 33, 0, 1, 0, 0, 0, 5, 0, 4, 0, 0, 0, 0], "SRV fields at offset 23 needs 6 bytes; the message ends at 27" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedMessagesAreRefusedSayingWhereTheyAreWrong(string what, byte[] message, string error)
    {
        var e = Assert.Throws<DnsFormatException>(() => DnsReader.Parse(message));
        Assert.True(e.Message == error, $"{what}: {e.Message}");
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingButFormatErrors()
    {
        var random = new Random(20261206);
        var valid = DnsWriter.Write(Sample());
        for (var i = 0; i < 20000; i++)
        {
            byte[] message;
            if (i % 2 == 0)
            {
                message = new byte[random.Next(0, 600)];
                random.NextBytes(message);
            }
            else
            {
                // Mutate a valid message: flip a few bytes, maybe cut it.
                message = valid[..random.Next(0, valid.Length + 1)];
                for (var f = 0; f < 3 && message.Length > 0; f++)
                {
                    message[random.Next(message.Length)] = (byte)random.Next(256);
                }
            }

            try
            {
                DnsReader.Parse(message);
            }
            catch (DnsFormatException)
            {
            }
        }
    }

    [Fact]
    public void WriterRefusesNamesThatCannotBeEncoded()
    {
        var long63 = new string('a', 64);
        Assert.Equal($"label \"{long63}\" is 64 bytes long; at most 63",
            Assert.Throws<DnsFormatException>(() => DnsWriter.Write(DnsMessage.Query(1, long63 + ".example", DnsType.A))).Message);
        var tooLong = string.Join('.', Enumerable.Repeat(new string('b', 63), 4)) + ".x";
        Assert.Contains("is longer than 255 bytes", Assert.Throws<DnsFormatException>(() => DnsWriter.Write(DnsMessage.Query(1, tooLong, DnsType.A))).Message);
        Assert.Equal("a name has an empty label", Assert.Throws<DnsFormatException>(() => DnsWriter.Write(DnsMessage.Query(1, "a..b", DnsType.A))).Message);
    }
}
