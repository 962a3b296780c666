using System.Runtime.ExceptionServices;

namespace Strata.Netlink;

/// <summary>
/// Runs namespace work on a thread of its own and waits for it: setns(2) and unshare(2) change only the calling
/// thread, so that thread is never one of the pool's (conventions.md, rule 5). The action must not queue work to the
/// thread pool: the pool may create a worker from the queuing thread, and that worker would inherit its namespaces.
/// The result and any exception travel back through plain fields, never a Task.
/// </summary>
public static class DedicatedThread
{
    public static T Run<T>(string name, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = name.Length > 15 ? name[..15] : name,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
