using System.Runtime.InteropServices;

namespace Strata.Agent.Agnhost;

/// <summary>Catches SIGTERM (and SIGINT when asked) instead of letting the runtime exit; the first one completes <see cref="Received"/>.</summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly TaskCompletionSource<PosixSignal> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<PosixSignalRegistration> _registrations = [];

    public TerminationSignals(bool interrupt)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
        if (interrupt)
        {
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
        }
    }

    public Task<PosixSignal> Received => _received.Task;

    /// <summary>The signal's description as strsignal() and Go print it.</summary>
    public static string Describe(PosixSignal signal, bool capitalized) => (signal, capitalized) switch
    {
        (PosixSignal.SIGTERM, true) => "Terminated",
        (PosixSignal.SIGTERM, false) => "terminated",
        (PosixSignal.SIGINT, true) => "Interrupt",
        (PosixSignal.SIGINT, false) => "interrupt",
        _ => signal.ToString(),
    };

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _received.TrySetResult(context.Signal);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
