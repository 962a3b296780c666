using k8s;
using k8s.Models;
using YamlDotNet.Core;

namespace Strata.Proxy.Model;

/// <summary>Services and EndpointSlices read from a (multi-document) YAML file, as <c>strata proxy render -f</c> takes them.</summary>
public sealed record ObjectFile(IReadOnlyList<V1Service> Services, IReadOnlyList<V1EndpointSlice> EndpointSlices)
{
    private static readonly Dictionary<string, Type> TypeMap = new(StringComparer.Ordinal)
    {
        ["v1/Service"] = typeof(V1Service),
        ["discovery.k8s.io/v1/EndpointSlice"] = typeof(V1EndpointSlice),
    };

    /// <summary>Parses the documents; anything that is not a Service or an EndpointSlice is an error naming its place.</summary>
    public static ObjectFile Parse(string yaml, string source)
    {
        IList<object> documents;
        try
        {
            documents = KubernetesYaml.LoadAllFromString(yaml, TypeMap);
        }
        catch (YamlException e)
        {
            throw new FormatException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch (KeyNotFoundException e)
        {
            throw new FormatException($"{source}: {e.Message} (only v1 Service and discovery.k8s.io/v1 EndpointSlice are read)", e);
        }

        var services = new List<V1Service>();
        var slices = new List<V1EndpointSlice>();
        var index = 0;
        foreach (var document in documents)
        {
            index++;
            switch (document)
            {
                case V1Service service:
                    services.Add(Require(service, index, source));
                    break;
                case V1EndpointSlice slice:
                    slices.Add(Require(slice, index, source));
                    if (EndpointSliceConversion.ServiceKeyOf(slice) is null)
                    {
                        throw new FormatException($"{source}: document {index}: EndpointSlice {slice.Metadata.Name} has no {EndpointSliceConversion.ServiceNameLabel} label");
                    }

                    break;
                default:
                    throw new FormatException($"{source}: document {index}: {document?.GetType().Name ?? "empty"} is neither a Service nor an EndpointSlice");
            }
        }

        return new ObjectFile(services, slices);
    }

    private static T Require<T>(T obj, int index, string source) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (string.IsNullOrEmpty(obj.Metadata?.Name))
        {
            throw new FormatException($"{source}: document {index}: {obj.Kind} has no metadata.name");
        }

        return obj;
    }
}
