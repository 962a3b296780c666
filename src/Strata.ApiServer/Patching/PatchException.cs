namespace Strata.ApiServer.Patching;

/// <summary>
/// A patch that cannot be applied. <see cref="StatusCode"/> is the HTTP status kube-apiserver
/// answers with for the same failure (400 bad request, 413, 415, 422 unprocessable entity, or
/// 500 when upstream passes the error through as an internal error); <see cref="Exception.Message"/>
/// is upstream's message text.
/// </summary>
public class PatchException : Exception
{
    public PatchException(string message, int statusCode)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }
}

/// <summary>An RFC 6902 JSON patch that cannot be decoded (400) or applied (422).</summary>
public sealed class JsonPatchException : PatchException
{
    public JsonPatchException(string message, int statusCode)
        : base(message, statusCode)
    {
    }
}

/// <summary>An RFC 7386 merge patch that is not a JSON object (400 "Invalid JSON Patch").</summary>
public sealed class JsonMergePatchException : PatchException
{
    public JsonMergePatchException(string message, int statusCode)
        : base(message, statusCode)
    {
    }
}

/// <summary>A strategic merge patch that cannot be applied.</summary>
public sealed class StrategicMergePatchException : PatchException
{
    public StrategicMergePatchException(string message, int statusCode)
        : base(message, statusCode)
    {
    }
}
