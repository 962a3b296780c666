using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Strata.Controllers.Client;

namespace Strata.Controllers.Machinery;

/// <summary>
/// Writes core/v1 Events as client-go's record.EventRecorder does: named <c>&lt;object&gt;.&lt;hex&gt;</c> in the
/// object's namespace (<c>default</c> for cluster-scoped objects), with the source component. A repeat of the same
/// event (same object, reason and message) bumps <c>count</c> on the existing Event instead of adding one.
/// </summary>
public sealed class EventRecorder(IKubeClient client, string component, ILogger logger, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, Corev1Event> _recent = [];

    public Task NormalAsync(IKubernetesObject<V1ObjectMeta> obj, string reason, string message, CancellationToken cancellationToken = default) =>
        RecordAsync(obj, "Normal", reason, message, cancellationToken);

    public Task WarningAsync(IKubernetesObject<V1ObjectMeta> obj, string reason, string message, CancellationToken cancellationToken = default) =>
        RecordAsync(obj, "Warning", reason, message, cancellationToken);

    public async Task RecordAsync(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, CancellationToken cancellationToken = default)
    {
        var ns = string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) ? "default" : obj.Metadata.NamespaceProperty;
        var now = _time.GetUtcNow().UtcDateTime;
        var dedupKey = $"{obj.Metadata.Uid}\n{type}\n{reason}\n{message}";
        try
        {
            Corev1Event? previous;
            lock (_recent)
            {
                previous = _recent.GetValueOrDefault(dedupKey);
            }

            Corev1Event written;
            if (previous is not null)
            {
                previous.Count = (previous.Count ?? 1) + 1;
                previous.LastTimestamp = now;
                written = await client.UpdateAsync(previous, cancellationToken);
            }
            else
            {
                written = await client.CreateAsync(new Corev1Event
                {
                    ApiVersion = "v1",
                    Kind = "Event",
                    Metadata = new V1ObjectMeta { Name = $"{obj.Metadata.Name}.{now.Ticks:x16}", NamespaceProperty = ns },
                    InvolvedObject = new V1ObjectReference
                    {
                        ApiVersion = obj.ApiVersion, Kind = obj.Kind, Name = obj.Metadata.Name,
                        NamespaceProperty = obj.Metadata.NamespaceProperty, Uid = obj.Metadata.Uid,
                        ResourceVersion = obj.Metadata.ResourceVersion,
                    },
                    Reason = reason,
                    Message = message,
                    Type = type,
                    Count = 1,
                    FirstTimestamp = now,
                    LastTimestamp = now,
                    Source = new V1EventSource { Component = component },
                    ReportingComponent = component,
                }, cancellationToken);
            }

            lock (_recent)
            {
                if (_recent.Count > 4096)
                {
                    _recent.Clear();
                }

                _recent[dedupKey] = written;
            }
        }
        catch (KubeApiException e)
        {
            // Events are best effort (as in client-go): losing one must not fail the reconcile that reported it.
            lock (_recent)
            {
                _recent.Remove(dedupKey);
            }

            EventLog.Dropped(logger, reason, obj.Metadata.Name, e.Message);
        }
    }
}

internal static partial class EventLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "event {Reason} for {Name} was dropped: {Error}")]
    public static partial void Dropped(ILogger logger, string reason, string name, string error);
}
