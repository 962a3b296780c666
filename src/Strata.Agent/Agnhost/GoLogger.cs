using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Strata.Agent.Agnhost;

/// <summary>
/// Writes log lines as Go's standard <c>log</c> package does (<c>2009/11/10 23:00:00 message</c>, on stderr), so
/// that <c>kubectl logs</c> of Strata's agnhost reads like upstream's. Writes synchronously: agnhost may exit right after.
/// </summary>
public sealed class GoLoggerProvider(TextWriter writer, TimeProvider? time = null) : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ILogger CreateLogger(string categoryName) => new GoLogger(this);

    public void Dispose()
    {
    }

    private void Write(string message)
    {
        string stamp = _time.GetLocalNow().ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture);
        lock (_lock)
        {
            writer.Write(stamp + " " + message + (message.EndsWith('\n') ? "" : "\n"));
            writer.Flush();
        }
    }

    private sealed class GoLogger(GoLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(formatter(state, exception));
            }
        }
    }
}

/// <summary>Logging for agnhost: Strata's own messages, and only warnings from ASP.NET Core.</summary>
public static class AgnhostLogging
{
    public static ILoggerFactory Create(TextWriter writer) => LoggerFactory.Create(builder =>
    {
        builder.ClearProviders();
        builder.AddProvider(new GoLoggerProvider(writer));
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddFilter("Microsoft", LogLevel.Warning);
    });
}
