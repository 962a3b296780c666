using k8s.Models;

namespace Strata.Agent.Kubelet.Probes;

/// <summary>
/// One probe of one container instance (pkg/kubelet/prober/worker.go): waits initialDelaySeconds, then probes every
/// periodSeconds; the result flips after successThreshold successes or failureThreshold failures in a row. Liveness
/// starts as success, readiness and startup as failure. Every failed attempt is reported (the Unhealthy event).
/// Liveness and readiness do not run until <paramref name="gate"/> says the startup probe has passed.
/// </summary>
public sealed class ProbeWorker : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _result;

    public ProbeWorker(ProbeKind kind, V1Probe probe, ProbeTarget target, ProbeRunner runner, Func<bool> gate, Action<ProbeKind, ProbeOutcome> failed, Action changed)
    {
        Kind = kind;
        _result = kind == ProbeKind.Liveness;
        _ = RunAsync(probe, target, runner, gate, failed, changed);
    }

    public ProbeKind Kind { get; }

    /// <summary>The thresholded result: ready, alive, started.</summary>
    public bool Result => _result;

    public void Dispose()
    {
        _stop.Cancel();
    }

    private async Task RunAsync(V1Probe probe, ProbeTarget target, ProbeRunner runner, Func<bool> gate, Action<ProbeKind, ProbeOutcome> failed, Action changed)
    {
        var token = _stop.Token;
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        int successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1);
        int failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
        int successes = 0, failures = 0;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)), token);
            while (!token.IsCancellationRequested)
            {
                if (gate())
                {
                    ProbeOutcome outcome;
                    try
                    {
                        outcome = await runner.RunAsync(probe, target, token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        outcome = ProbeOutcome.Fail(e.Message);
                    }

                    if (token.IsCancellationRequested)
                    {
                        return;
                    }

                    if (outcome.Success)
                    {
                        failures = 0;
                        successes++;
                        if (!_result && successes >= (Kind == ProbeKind.Readiness ? successThreshold : 1))
                        {
                            _result = true;
                            changed();
                        }
                    }
                    else
                    {
                        successes = 0;
                        failures++;
                        failed(Kind, outcome);
                        if (_result && failures >= failureThreshold)
                        {
                            _result = false;
                            changed();
                        }
                        else if (!_result && Kind != ProbeKind.Readiness && failures >= failureThreshold)
                        {
                            // A startup probe that never passed: the container is killed, as for liveness.
                            Failed = true;
                            changed();
                        }
                    }

                    if (Kind == ProbeKind.Startup && _result)
                    {
                        return; // startup probes stop once they pass
                    }
                }

                await Task.Delay(period, token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A startup probe that reached failureThreshold without passing.</summary>
    public bool Failed { get; private set; }
}
