using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Agent.Server;

/// <summary>
/// How an exec ended, as the kubelet's streaming server reports it on the error channel (remotecommand/httpstream.go
/// ServeExec, websocket.go writeStatus): v4+ a <c>metav1.Status</c> JSON — Success; Failure with reason
/// NonZeroExitCode and a cause <c>{reason: ExitCode, message: "N"}</c>, which kubectl turns into its own exit code;
/// or an InternalError. Before v4 only a failure's message is written, as plain text.
/// </summary>
public sealed record ExecStatus(int? ExitCode, string? Error)
{
    public static ExecStatus Exited(int code) => new(code, null);

    public static ExecStatus Failed(string message) => new(null, message);

    public bool Success => ExitCode == 0 && Error is null;

    /// <summary>The error channel's payload under <paramref name="protocol"/>; null when nothing is written.</summary>
    public byte[]? Payload(ChannelProtocol protocol, IReadOnlyList<string> command)
    {
        var status = ToStatus(command);
        if (protocol.Version >= 4)
        {
            return Encoding.UTF8.GetBytes(status.ToJsonString());
        }

        return Success ? null : Encoding.UTF8.GetBytes((string?)status["message"] ?? "");
    }

    public JsonObject ToStatus(IReadOnlyList<string> command)
    {
        if (Success)
        {
            return new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" };
        }

        if (Error is null)
        {
            var code = ExitCode!.Value.ToString(CultureInfo.InvariantCulture);
            return new JsonObject
            {
                ["metadata"] = new JsonObject(),
                ["status"] = "Failure",
                ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
                ["reason"] = "NonZeroExitCode",
                ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code }) },
            };
        }

        // apierrors.NewInternalError(err)
        return new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"Internal error occurred: {Error}",
            ["reason"] = "InternalError",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = Error }) },
            ["code"] = 500,
        };
    }
}
