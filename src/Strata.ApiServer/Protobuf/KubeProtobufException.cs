namespace Strata.ApiServer.Protobuf;

/// <summary>
/// A Kubernetes protobuf body that cannot be decoded (bad wire data, unknown kind, a value Go would
/// also reject), or a JSON object that cannot be encoded. The API server answers it with 400 or 415.
/// </summary>
public sealed class KubeProtobufException : FormatException
{
    public KubeProtobufException(string message)
        : base(message)
    {
    }

    public KubeProtobufException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
