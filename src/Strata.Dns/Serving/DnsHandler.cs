using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Dns.Cluster;
using Strata.Dns.Configuration;
using Strata.Dns.Forwarding;
using Strata.Dns.Resolution;
using Strata.Dns.Wire;

namespace Strata.Dns.Serving;

/// <summary>What the server answers with: configuration, resolver, forwarder and cache, swapped together.</summary>
public sealed record DnsRuntime(DnsConfig Config, ClusterResolver Resolver, Forwarder Forwarder, DnsCache Cache)
{
    public static DnsRuntime For(DnsConfig config, ILogger? logger = null) =>
        new(config, new ClusterResolver(config), new Forwarder(config.Upstreams, logger: logger), new DnsCache());
}

/// <summary>
/// One request's bytes to one response's bytes, for either transport. Malformed requests get FORMERR when their
/// header can be read and are dropped otherwise; nothing a client sends can throw out of here.
/// </summary>
public sealed class DnsHandler(Func<ClusterSnapshot> snapshot, ILogger? logger = null)
{
    public const int MaxUdpResponse = 4096;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private volatile DnsRuntime? _runtime;

    public DnsRuntime Runtime => _runtime ?? throw new InvalidOperationException("no configuration yet");

    /// <summary>Installs a new configuration; the old forwarder stops probing. The cache starts empty.</summary>
    public void Apply(DnsConfig config)
    {
        var old = _runtime;
        _runtime = DnsRuntime.For(config, _logger);
        if (old is not null)
        {
            _ = old.Forwarder.DisposeAsync().AsTask();
        }
    }

    /// <summary>The response, or null to send nothing (no readable header, or not a query).</summary>
    public ValueTask<byte[]?> HandleAsync(ReadOnlyMemory<byte> request, bool tcp, CancellationToken cancellationToken)
    {
        var header = DnsReader.PeekHeader(request.Span);
        if (header is not { } h || h.Flags.Response)
        {
            return ValueTask.FromResult<byte[]?>(null);
        }

        DnsMessage query;
        try
        {
            query = DnsReader.Parse(request.Span);
        }
        catch (DnsFormatException e)
        {
            DnsHandlerLog.FormErr(_logger, e.Message);
            var formErr = new DnsMessage
            {
                Id = h.Id,
                Flags = new DnsFlags(Response: true, Opcode: h.Flags.Opcode, RecursionDesired: h.Flags.RecursionDesired, RecursionAvailable: true),
                Rcode = DnsRcode.FormErr,
            };
            return ValueTask.FromResult<byte[]?>(DnsWriter.Write(formErr, DnsWriter.MaxUdpWithoutEdns));
        }

        var limit = tcp ? DnsWriter.MaxMessage : query.Edns is { } edns ? Math.Clamp((int)edns.UdpPayloadSize, DnsWriter.MaxUdpWithoutEdns, MaxUdpResponse) : DnsWriter.MaxUdpWithoutEdns;
        try
        {
            var pending = Answer(query, limit, cancellationToken);
            return pending.IsCompletedSuccessfully ? pending : GuardAsync(pending, query, limit);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ValueTask.FromResult<byte[]?>(Internal(query, limit, e));
        }
    }

    private async ValueTask<byte[]?> GuardAsync(ValueTask<byte[]?> pending, DnsMessage query, int limit)
    {
        try
        {
            return await pending;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Internal(query, limit, e);
        }
    }

    /// <summary>A bug of ours must not stop the server: the client gets SERVFAIL and the log the exception.</summary>
    private byte[] Internal(DnsMessage query, int limit, Exception e)
    {
        DnsHandlerLog.Internal(_logger, query.Question?.Name ?? "", e);
        return DnsWriter.Write(DnsMessage.ReplyTo(query, DnsRcode.ServFail) with { Questions = [] }, limit);
    }

    private ValueTask<byte[]?> Answer(DnsMessage query, int limit, CancellationToken cancellationToken)
    {
        var immediate = Immediate(query);
        if (immediate is not null)
        {
            return ValueTask.FromResult<byte[]?>(Encode(immediate, limit));
        }

        var runtime = Runtime;
        var question = query.Question!;
        var resolution = runtime.Resolver.Resolve(question, snapshot());
        if (!resolution.Forward && resolution.ChaseName is null)
        {
            return ValueTask.FromResult<byte[]?>(Encode(Reply(query, resolution), limit));
        }

        return SlowAsync(runtime, query, resolution, limit, cancellationToken);
    }

    private async ValueTask<byte[]?> SlowAsync(DnsRuntime runtime, DnsMessage query, Resolution.Resolution resolution, int limit, CancellationToken cancellationToken)
    {
        var question = query.Question!;
        if (resolution.Forward)
        {
            var upstream = await LookupAsync(runtime, question, query.Flags.CheckingDisabled, cancellationToken);
            if (upstream is null)
            {
                return Encode(Fail(query, DnsRcode.ServFail), limit);
            }

            return Encode(DnsMessage.ReplyTo(query, upstream.Rcode) with
            {
                Flags = new DnsFlags(Response: true, RecursionDesired: query.Flags.RecursionDesired, RecursionAvailable: true,
                    AuthenticData: upstream.Flags.AuthenticData, CheckingDisabled: query.Flags.CheckingDisabled),
                Answers = upstream.Answers,
                Authority = upstream.Authority,
                Additional = upstream.Additional,
                Edns = ReplyEdns(query),
            }, limit);
        }

        // An ExternalName's CNAME to a name outside the zone: append what the upstream resolvers say of the target.
        var chased = await LookupAsync(runtime, question with { Name = resolution.ChaseName! }, query.Flags.CheckingDisabled, cancellationToken);
        if (chased is null)
        {
            return Encode(Reply(query, resolution), limit);
        }

        return Encode(Reply(query, resolution with
        {
            Rcode = chased.Rcode,
            Answers = [.. resolution.Answers, .. chased.Answers],
            Authority = chased.Authority,
        }), limit);
    }

    private static async Task<DnsMessage?> LookupAsync(DnsRuntime runtime, DnsQuestion question, bool checkingDisabled, CancellationToken cancellationToken)
    {
        if (runtime.Cache.TryGet(question, out var cached))
        {
            return cached;
        }

        var response = await runtime.Forwarder.ExchangeAsync(question, checkingDisabled, cancellationToken);
        if (response is null || response.Rcode is not (DnsRcode.NoError or DnsRcode.NXDomain))
        {
            return response is null ? null : response.Rcode == DnsRcode.ServFail ? null : response;
        }

        runtime.Cache.Put(question, response);
        return response;
    }

    /// <summary>Answers that need no lookup: NOTIMP for other opcodes, FORMERR without exactly one question, BADVERS, REFUSED.</summary>
    private static DnsMessage? Immediate(DnsMessage query)
    {
        if (query.Flags.Opcode != DnsOpcode.Query)
        {
            return Fail(query, DnsRcode.NotImp);
        }

        if (query.Questions.Count != 1)
        {
            return Fail(query with { Questions = [] }, DnsRcode.FormErr);
        }

        if (query.Edns is { Version: > 0 })
        {
            return Fail(query, DnsRcode.BadVers);
        }

        var q = query.Question!;
        if (q.Class is not (DnsClass.IN or DnsClass.ANY) || q.Type is DnsType.AXFR or DnsType.IXFR or DnsType.OPT)
        {
            return Fail(query, DnsRcode.Refused);
        }

        return null;
    }

    private static DnsMessage Fail(DnsMessage query, DnsRcode rcode) =>
        DnsMessage.ReplyTo(query, rcode) with { Edns = ReplyEdns(query) };

    private static DnsMessage Reply(DnsMessage query, Resolution.Resolution resolution) => DnsMessage.ReplyTo(query, resolution.Rcode) with
    {
        Flags = new DnsFlags(Response: true, Authoritative: resolution.Authoritative && resolution.ChaseName is null,
            RecursionDesired: query.Flags.RecursionDesired, RecursionAvailable: true, CheckingDisabled: query.Flags.CheckingDisabled),
        Answers = resolution.Answers,
        Authority = resolution.Authority,
        Additional = resolution.Additional,
        Edns = ReplyEdns(query),
    };

    private static Edns? ReplyEdns(DnsMessage query) => query.Edns is null ? null : new Edns(Forwarder.AdvertisedPayload, DnssecOk: query.Edns.DnssecOk);

    private byte[]? Encode(DnsMessage response, int limit)
    {
        try
        {
            return DnsWriter.Write(response, limit);
        }
        catch (DnsFormatException e)
        {
            // A name the client sent that cannot be written back (for example an escape above 255) cannot happen for
            // parsed names; anything else here is our bug: answer SERVFAIL rather than nothing.
            DnsHandlerLog.EncodeFailed(_logger, e.Message);
            return DnsWriter.Write(DnsMessage.ReplyTo(response, DnsRcode.ServFail) with { Questions = [] }, DnsWriter.MaxUdpWithoutEdns);
        }
    }
}

internal static partial class DnsHandlerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "FORMERR: {Reason}")]
    public static partial void FormErr(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "answering {Name} failed; sent SERVFAIL")]
    public static partial void Internal(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "could not encode a response: {Reason}")]
    public static partial void EncodeFailed(ILogger logger, string reason);
}
