using Strata.Agent.Server;

namespace Strata.Agent.Tests.Server;

public sealed class RequestParsingTests
{
    [Theory]
    [InlineData("/containerLogs/default/web/app", KubeletEndpoint.ContainerLogs, "default", "web", "app")]
    [InlineData("/exec/kube-system/coredns-1/coredns", KubeletEndpoint.Exec, "kube-system", "coredns-1", "coredns")]
    [InlineData("/exec/a%20b/c/d", KubeletEndpoint.Exec, "a b", "c", "d")]
    public void Container_paths_name_namespace_pod_and_container(string path, KubeletEndpoint endpoint, string ns, string pod, string container) =>
        Assert.Equal(new KubeletPath(endpoint, ns, pod, container), KubeletPath.Parse(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    [InlineData("/pods")]
    [InlineData("/exec/default/web")]
    [InlineData("/exec/default/web/app/extra")]
    [InlineData("/exec/default//app")]
    [InlineData("/attach/default/web/app")]
    [InlineData("/containerLogs/default/web/")]
    public void Other_paths_are_not_container_paths(string path) => Assert.Null(KubeletPath.Parse(path));

    public static TheoryData<string, LogOptions> LogQueries => new()
    {
        { "", new LogOptions() },
        { "follow=true&timestamps=1", new LogOptions { Follow = true, Timestamps = true } },
        { "follow=false&previous=0", new LogOptions() },
        { "previous=true&tailLines=2", new LogOptions { Previous = true, TailLines = 2 } },
        { "tail=5", new LogOptions { TailLines = 5 } },
        { "tail=all&tailLines=3", new LogOptions() },
        { "limitBytes=10&sinceSeconds=60", new LogOptions { LimitBytes = 10, SinceSeconds = 60 } },
        { "sinceTime=2026-12-06T01:02:03Z", new LogOptions { SinceTime = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero) } },
    };

    [Theory]
    [MemberData(nameof(LogQueries))]
    public void Log_options_are_read_as_the_kubelet_reads_them(string query, LogOptions expected)
    {
        var result = LogOptions.Parse(Query(query));
        Assert.Equal(200, result.Status);
        Assert.Equal(expected, result.Options);
    }

    [Theory]
    [InlineData("tailLines=x", 400, """{"message": "Unable to decode query."}""")]
    [InlineData("sinceTime=yesterday", 400, """{"message": "Unable to decode query."}""")]
    [InlineData("tailLines=-1", 422, """{"message": "Invalid request."}""")]
    [InlineData("limitBytes=0", 422, """{"message": "Invalid request."}""")]
    [InlineData("sinceSeconds=0", 422, """{"message": "Invalid request."}""")]
    [InlineData("sinceSeconds=5&sinceTime=2026-12-06T01:02:03Z", 422, """{"message": "Invalid request."}""")]
    public void Bad_log_options_get_the_kubelets_answer(string query, int status, string body)
    {
        var result = LogOptions.Parse(Query(query));
        Assert.Null(result.Options);
        Assert.Equal(status, result.Status);
        Assert.Equal(body, result.Error);
    }

    [Fact]
    public void Since_is_the_time_or_now_minus_the_seconds()
    {
        var now = new DateTimeOffset(2026, 12, 6, 2, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddSeconds(-90), new LogOptions { SinceSeconds = 90 }.Since(now));
        Assert.Null(new LogOptions().Since(now));
    }

    public static TheoryData<string, ExecOptions?, string?> ExecQueries => new()
    {
        { "command=ls&command=-l&output=1&error=1", new ExecOptions(["ls", "-l"], false, true, true, false), null },
        { "command=sh&input=1&output=1&error=1&tty=1", new ExecOptions(["sh"], true, true, false, true), null },
        { "command=cat&input=1", new ExecOptions(["cat"], true, false, false, false), null },
        { "command=ls&output=true", null, "you must specify at least 1 of stdin, stdout, stderr" },
        { "command=ls&error=1&tty=1", null, "you must specify at least 1 of stdin, stdout, stderr" },
        { "output=1", null, "you must specify at least one command for the container" },
    };

    [Theory]
    [MemberData(nameof(ExecQueries))]
    public void Exec_options_are_read_as_the_kubelet_reads_them(string query, ExecOptions? expected, string? error)
    {
        var (options, message) = ExecOptions.Parse(Query(query));
        Assert.Equal(error, message);
        Assert.Equal(expected?.Command, options?.Command);
        Assert.Equal((expected?.Stdin, expected?.Stdout, expected?.Stderr, expected?.Tty), (options?.Stdin, options?.Stdout, options?.Stderr, options?.Tty));
    }

    private static Func<string, IReadOnlyList<string>> Query(string query)
    {
        var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToList();
        return name => [.. pairs.Where(p => p[0] == name).Select(p => Uri.UnescapeDataString(p[1]))];
    }
}
