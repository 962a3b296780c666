namespace Strata.Ingress.Proxy;

/// <summary>
/// Process-wide settings for a process whose job is proxying (<c>strata ingress</c>), applied before its first socket.
/// nginx runs each connection's whole request on the event loop of one worker; .NET by default takes each socket
/// event from the epoll thread to a thread-pool thread and Kestrel hands it on again, two thread switches per read that
/// cost more than the proxying itself on one core. Inline completions run the continuation on the epoll thread (one
/// per processor), and Kestrel's inline scheduling keeps the request there, as nginx does. Nothing on the proxy's path
/// blocks (Kestrel, YARP and SocketsHttpHandler are asynchronous), which is the condition for inline completions.
/// </summary>
public static class ProxyProcess
{
    /// <summary>Read once by System.Net.Sockets' SocketAsyncEngine, when the process's first socket is made.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline socket completions on unless the environment already chose ("0" keeps them off).</summary>
    public static void UseInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <summary>Whether socket continuations run on the epoll threads (then Kestrel schedules inline too).</summary>
    public static bool InlineCompletions => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";
}
