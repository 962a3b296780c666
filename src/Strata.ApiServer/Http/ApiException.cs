using System.Text.Json.Nodes;
using Strata.ApiServer.Resources;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Http;

/// <summary>
/// An API error that becomes a <c>metav1.Status</c>, with the codes, reasons and messages of
/// k8s.io/apimachinery/pkg/api/errors/errors.go.
/// </summary>
public sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    public static ApiException NotFound(ResourceInfo resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedResource} \"{name}\" not found", DetailsFor(resource, name));

    public static ApiException NotFound(string message) => new(404, "NotFound", message);

    public static ApiException AlreadyExists(ResourceInfo resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedResource} \"{name}\" already exists", DetailsFor(resource, name));

    public static ApiException Conflict(ResourceInfo resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedResource} \"{name}\": {why}", DetailsFor(resource, name));

    public static ApiException Modified(ResourceInfo resource, string name) =>
        Conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json: {contentType}");

    public static ApiException Forbidden(ResourceInfo resource, string name, string why) =>
        new(403, "Forbidden", $"{resource.QualifiedResource} \"{name}\" is forbidden: {why}", DetailsFor(resource, name));

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException Invalid(ResourceInfo resource, string name, IReadOnlyList<FieldError> errors)
    {
        var details = DetailsFor(resource, name);
        details["kind"] = resource.Kind;
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
        {
            ["reason"] = e.Reason,
            ["message"] = e.Body,
            ["field"] = e.Field,
        }).ToArray());
        return new ApiException(422, "Invalid", StatusMessages.Invalid(resource.Group, resource.Kind, name, errors), details);
    }

    public static ApiException Internal(string message) => new(500, "InternalError", $"Internal error occurred: {message}");

    private static JsonObject DetailsFor(ResourceInfo resource, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }

        details["kind"] = resource.Resource;
        return details;
    }
}
