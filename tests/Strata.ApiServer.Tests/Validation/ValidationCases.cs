using System.Text.Json.Nodes;
using Strata.ApiServer.Defaulting;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Tests.Validation;

/// <summary>
/// Table-driven validation cases: an object (defaulted first, as kube-apiserver does before validating)
/// and the exact <c>field.Error.Error()</c> strings upstream produces for it.
/// </summary>
public class ValidationCases
{
    private const string Dns1123LabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string Dns1035LabelMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    public sealed record Case(string Name, string Group, string Kind, string Object, string[] Expected)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, string group, string kind, string obj, params string[] expected) => new(name, group, kind, obj, expected);

    private const string ServiceMeta = "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}";
    private const string PodMeta = "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}";

    public static TheoryData<Case> CreateCases() =>
    [
        C("service ok", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80}]}}"),
        C("service port 0", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":0,\"targetPort\":8080}]}}",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
        C("service port too big", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":65536,\"targetPort\":80}]}}",
            "spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive"),
        C("service nodePort on ClusterIP", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":30080}]}}",
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
        C("service nodePort on NodePort", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}}"),
        C("service name is a DNS-1035 label", "", "Service", "{\"metadata\":{\"name\":\"1web\",\"namespace\":\"default\"},\"spec\":{\"ports\":[{\"port\":80}]}}",
            "metadata.name: Invalid value: \"1web\": " + Dns1035LabelMsg),
        C("service ports need names when several", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":80},{\"port\":443,\"name\":\"Https\"}]}}",
            "spec.ports[0].name: Required value",
            "spec.ports[1].name: Invalid value: \"Https\": " + Dns1123LabelMsg),
        C("service protocol", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"HTTP\"}]}}",
            "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
        C("service duplicate port and protocol", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\",\"port\":80,\"targetPort\":81}]}}",
            "spec.ports[1]: Duplicate value: {\"Name\":\"\",\"Protocol\":\"TCP\",\"AppProtocol\":null,\"Port\":80,\"TargetPort\":0,\"NodePort\":0}"),
        C("service same port other protocol", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"name\":\"a\",\"port\":53},{\"name\":\"b\",\"port\":53,\"protocol\":\"UDP\"}]}}"),
        C("service targetPort name", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":\"-Web--\"}]}}",
            "spec.ports[0].targetPort: Invalid value: \"-Web--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "spec.ports[0].targetPort: Invalid value: \"-Web--\": must not contain consecutive hyphens",
            "spec.ports[0].targetPort: Invalid value: \"-Web--\": must not begin or end with a hyphen"),
        C("service targetPort number", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":70000}]}}",
            "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
        C("service type", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"type\":\"Internal\",\"ports\":[{\"port\":80}]}}",
            "spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""),
        C("service clusterIP not an IP", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"clusterIP\":\"10.0.0.300\",\"ports\":[{\"port\":80}]}}",
            "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
        C("service clusterIP leading zeros", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"clusterIP\":\"10.096.0.10\",\"ports\":[{\"port\":80}]}}",
            "spec.clusterIPs[0]: Invalid value: \"10.096.0.10\": must not have leading 0s"),
        C("service clusterIP not canonical", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"clusterIP\":\"FD00::10\",\"ports\":[{\"port\":80}]}}",
            "spec.clusterIPs[0]: Invalid value: \"FD00::10\": must be in canonical form (\"fd00::10\")"),
        C("service headless", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"clusterIP\":\"None\",\"selector\":{\"app\":\"web\"}}}"),
        C("service headless NodePort", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}",
            "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"),
        C("service clusterIPs must match clusterIP", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.11\"],\"ports\":[{\"port\":80}]}}",
            "spec.clusterIPs: Invalid value: [\"10.96.0.11\"]: first value must match `clusterIP`"),
        C("service externalName", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"type\":\"ExternalName\"}}",
            "spec.externalName: Required value"),
        C("service externalName trailing dot", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com.\"}}"),
        C("service sessionAffinity", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"sessionAffinity\":\"Cookie\",\"ports\":[{\"port\":80}]}}",
            "spec.sessionAffinity: Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\""),
        C("service clientIP timeout", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":0}},\"ports\":[{\"port\":80}]}}",
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"),
        C("service externalTrafficPolicy on ClusterIP", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":80}]}}",
            "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services"),
        C("service ipFamilies", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"ipFamilies\":[\"IPv4\",\"IPv4\",\"IPv5\"],\"ipFamilyPolicy\":\"DualStack\",\"ports\":[{\"port\":80}]}}",
            "spec.ipFamilies[1]: Duplicate value: \"IPv4\"",
            "spec.ipFamilies[2]: Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\"",
            "spec.ipFamilyPolicy: Unsupported value: \"DualStack\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\""),
        C("service externalIPs", "", "Service", "{" + ServiceMeta + ",\"spec\":{\"externalIPs\":[\"127.0.0.1\",\"1.2.3\"],\"ports\":[{\"port\":80}]}}",
            "spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
            "spec.externalIPs[1]: Invalid value: \"1.2.3\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),

        C("pod ok", "", "Pod", "{" + PodMeta + ",\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]}}"),
        C("pod without containers", "", "Pod", "{" + PodMeta + ",\"spec\":{}}",
            "spec.containers: Required value"),
        C("pod container name and image", "", "Pod", "{" + PodMeta + ",\"spec\":{\"containers\":[{\"name\":\"Web_1\"},{\"name\":\"Web_1\",\"image\":\"nginx\"}]}}",
            "spec.containers[0].name: Invalid value: \"Web_1\": " + Dns1123LabelMsg,
            "spec.containers[0].image: Required value",
            "spec.containers[1].name: Invalid value: \"Web_1\": " + Dns1123LabelMsg,
            "spec.containers[1].name: Duplicate value: \"Web_1\""),
        C("pod container ports", "", "Pod", "{" + PodMeta + ",\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":70000,\"name\":\"http\"},{\"containerPort\":8080,\"name\":\"http\",\"hostPort\":-1,\"protocol\":\"ICMP\"},{\"name\":\"metrics\"}]}]}}",
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
            "spec.containers[0].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[0].ports[2].containerPort: Required value"),
        C("pod host port conflict", "", "Pod", "{" + PodMeta + ",\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]},{\"name\":\"b\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":81,\"hostPort\":8080}]}]}}",
            "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""),
        C("pod restart and dns policy", "", "Pod", "{" + PodMeta + ",\"spec\":{\"restartPolicy\":\"Sometimes\",\"dnsPolicy\":\"Cluster\",\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""),
        C("pod hostNetwork hostPort", "", "Pod", "{" + PodMeta + ",\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]}]}}",
            "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"),
        C("pod probe", "", "Pod", "{" + PodMeta + ",\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"livenessProbe\":{\"successThreshold\":2,\"tcpSocket\":{\"port\":0}},\"readinessProbe\":{}}]}}",
            "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            "spec.containers[0].readinessProbe: Required value: must specify a handler type"),
        C("pod volume mount not found", "", "Pod", "{" + PodMeta + ",\"spec\":{\"volumes\":[{\"name\":\"data\"}],\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"volumeMounts\":[{\"name\":\"cache\",\"mountPath\":\"/cache\"}]}]}}",
            "spec.containers[0].volumeMounts[0].name: Not found: \"cache\""),
        C("pod name is a subdomain", "", "Pod", "{\"metadata\":{\"name\":\"web.v1\",\"namespace\":\"Default\"},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}",
            "metadata.namespace: Invalid value: \"Default\": " + Dns1123LabelMsg),

        C("metadata name required", "", "ConfigMap", "{\"metadata\":{\"namespace\":\"default\"}}",
            "metadata.name: Required value: name or generateName is required"),
        C("metadata generateName", "", "ConfigMap", "{\"metadata\":{\"generateName\":\"web-\",\"name\":\"web-x1b2c\",\"namespace\":\"default\"}}"),
        C("metadata name subdomain", "", "ConfigMap", "{\"metadata\":{\"name\":\"Web\",\"namespace\":\"default\"}}",
            "metadata.name: Invalid value: \"Web\": " + Dns1123SubdomainMsg),
        C("metadata namespace required", "", "ConfigMap", "{\"metadata\":{\"name\":\"web\"}}",
            "metadata.namespace: Required value"),
        C("metadata labels", "", "ConfigMap", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"labels\":{\"-app\":\"ok\",\"example.com/tier\":\"front end\"}}}",
            "metadata.labels: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "metadata.labels: Invalid value: \"front end\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
        C("metadata annotations", "", "ConfigMap", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"annotations\":{\"a/b/c\":\"x\"}}}",
            "metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
        C("metadata finalizers", "", "ConfigMap", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"finalizers\":[\"cleanup\",\"example.com/cleanup\"]}}",
            "metadata.finalizers[0]: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified"),
        C("configmap keys", "", "ConfigMap", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"data\":{\"bad key\":\"x\",\"..x\":\"y\"}}",
            "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "data[..x]: Invalid value: \"..x\": must not start with '..'"),
        C("secret tls keys", "", "Secret", "{\"metadata\":{\"name\":\"tls\",\"namespace\":\"default\"},\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"eA==\"}}",
            "data[tls.key]: Required value"),

        C("namespace name is a label", "", "Namespace", "{\"metadata\":{\"name\":\"team.a\"}}",
            "metadata.name: Invalid value: \"team.a\": must not contain dots"),
        C("namespace not namespaced", "", "Namespace", "{\"metadata\":{\"name\":\"team-a\",\"namespace\":\"default\"}}",
            "metadata.namespace: Forbidden: not allowed on this type"),
        C("node podCIDRs", "", "Node", "{\"metadata\":{\"name\":\"node-1\"},\"spec\":{\"podCIDRs\":[\"10.244.1.1/24\",\"10.245.0.0/24\"]}}",
            "spec.podCIDRs[0]: Invalid value: \"10.244.1.1/24\": must not have bits set beyond the prefix length",
            "spec.podCIDRs: Invalid value: [\"10.244.1.1/24\",\"10.245.0.0/24\"]: may specify no more than one CIDR for each IP family"),

        C("ingress ok", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"rules\":[{\"host\":\"*.example.com\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}}}]}}]}}"),
        C("ingress no rules", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{}}",
            "spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"),
        C("ingress host", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"rules\":[{\"host\":\"10.0.0.1\"},{\"host\":\"foo.*.com\"},{\"host\":\"Web.example.com\"}]}}",
            "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address",
            "spec.rules[1].host: Invalid value: \"foo.*.com\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "spec.rules[2].host: Invalid value: \"Web.example.com\": " + Dns1123SubdomainMsg),
        C("ingress paths", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"rules\":[{\"http\":{\"paths\":[" +
            "{\"path\":\"api\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"api\",\"port\":{\"number\":80}}}}," +
            "{\"path\":\"/x\",\"backend\":{\"service\":{\"name\":\"api\",\"port\":{\"number\":80}}}}," +
            "{\"path\":\"/x\",\"pathType\":\"Regex\",\"backend\":{\"service\":{\"name\":\"api\",\"port\":{\"number\":80}}}}," +
            "{\"path\":\"/a//b/.\",\"pathType\":\"Exact\",\"backend\":{\"service\":{\"name\":\"api\",\"port\":{\"number\":80}}}}]}}]}}",
            "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
            "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
            "spec.rules[0].http.paths[2].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"",
            "spec.rules[0].http.paths[3].path: Invalid value: \"/a//b/.\": must not contain '//'",
            "spec.rules[0].http.paths[3].path: Invalid value: \"/a//b/.\": cannot end with '/.'"),
        C("ingress backends", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"rules\":[{\"http\":{\"paths\":[" +
            "{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"api\",\"port\":{\"number\":80,\"name\":\"http\"}}}}," +
            "{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":{\"name\":\"2api\",\"port\":{}}}}," +
            "{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{}}]}}]}}",
            "spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both port name & port number",
            "spec.rules[0].http.paths[1].backend.service.name: Invalid value: \"2api\": " + Dns1035LabelMsg,
            "spec.rules[0].http.paths[1].backend: Required value: port name or number is required",
            "spec.rules[0].http.paths[2].backend: Invalid value: \"\": resource or service backend is required"),
        C("ingress tls hosts", "networking.k8s.io", "Ingress", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"defaultBackend\":{\"service\":{\"name\":\"web\",\"port\":{\"name\":\"http\"}}},\"tls\":[{\"hosts\":[\"*.example.com\",\"bad_host\"],\"secretName\":\"web-tls\"}]}}",
            "spec.tls[0].hosts[1]: Invalid value: \"bad_host\": " + Dns1123SubdomainMsg),
        C("ingressclass controller", "networking.k8s.io", "IngressClass", "{\"metadata\":{\"name\":\"nginx\"},\"spec\":{\"controller\":\"nginx\"}}",
            "spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")"),
        C("networkpolicy", "networking.k8s.io", "NetworkPolicy", "{\"metadata\":{\"name\":\"deny\",\"namespace\":\"default\"},\"spec\":{\"podSelector\":{},\"ingress\":[{\"from\":[{},{\"ipBlock\":{\"cidr\":\"10.0.0.0/16\",\"except\":[\"10.1.0.0/24\"]},\"podSelector\":{}}],\"ports\":[{\"port\":\"http\",\"endPort\":90}]}]}}",
            "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            "spec.ingress[0].from[0]: Required value: must specify a peer",
            "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`",
            "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer"),

        C("endpointslice", "discovery.k8s.io", "EndpointSlice", "{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"default\"},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"127.0.0.1\",\"fe80::1\"],\"hostname\":\"Pod_1\"},{\"addresses\":[]}],\"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"http\",\"port\":81,\"protocol\":\"ICMP\"}]}",
            "endpoints[0].addresses[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
            "endpoints[0].addresses[1]: Invalid value: \"fe80::1\": must be a valid IPv4 address",
            "endpoints[0].addresses[1]: Invalid value: \"fe80::1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)",
            "endpoints[0].hostname: Invalid value: \"Pod_1\": " + Dns1123LabelMsg,
            "endpoints[1].addresses: Required value: must contain at least 1 address",
            "ports[1].name: Duplicate value: \"http\"",
            "ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
        C("endpointslice addressType", "discovery.k8s.io", "EndpointSlice", "{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"default\"},\"addressType\":\"IP\"}",
            "addressType: Unsupported value: \"IP\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""),
        C("endpoints", "", "Endpoints", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"subsets\":[{\"addresses\":[{\"ip\":\"0.0.0.0\"}],\"ports\":[{\"port\":80},{\"port\":81,\"name\":\"b\"}]},{}]}",
            "subsets[0].addresses[0].ip: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)",
            "subsets[0].ports[0].name: Required value",
            "subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`"),

        C("deployment ok", "apps", "Deployment", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}]}}}}"),
        C("deployment selector", "apps", "Deployment", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":-1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\",\"tier\":\"a\"}},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}",
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.metadata.labels: Invalid value: {\"app\":\"api\",\"tier\":\"a\"}: `selector` does not match template `labels`",
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""),
        C("deployment without selector", "apps", "Deployment", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}",
            "spec.selector: Required value",
            "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"),
        C("deployment strategy", "apps", "Deployment", "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":0,\"maxUnavailable\":\"120%\"}},\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}",
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"120%\": must not be greater than 100%"),
        C("daemonset empty selector", "apps", "DaemonSet", "{\"metadata\":{\"name\":\"agent\",\"namespace\":\"kube-system\"},\"spec\":{\"selector\":{},\"template\":{\"spec\":{\"containers\":[{\"name\":\"agent\",\"image\":\"agent\"}]}}}}",
            "spec.selector: Invalid value: {}: empty selector is invalid for daemonset"),
        C("lease", "coordination.k8s.io", "Lease", "{\"metadata\":{\"name\":\"node-1\",\"namespace\":\"kube-node-lease\"},\"spec\":{\"leaseDurationSeconds\":0,\"leaseTransitions\":-1}}",
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
            "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"),
    ];

    [Theory]
    [MemberData(nameof(CreateCases))]
    public void Create(Case c)
    {
        var obj = JsonNode.Parse(c.Object)!.AsObject();
        ObjectDefaulter.Apply(c.Group, c.Kind, obj);
        var errors = ObjectValidator.ValidateCreate(c.Group, c.Kind, obj);
        Assert.Equal(c.Expected, errors.Select(e => e.ToString()).ToArray());
    }

    public sealed record UpdateCase(string Name, string Group, string Kind, string Old, string New, string[] Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<UpdateCase> UpdateCases() =>
    [
        new("service clusterIP is immutable", "", "Service",
            "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"resourceVersion\":\"1\"},\"spec\":{\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],\"ports\":[{\"port\":80}]}}",
            "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"resourceVersion\":\"1\"},\"spec\":{\"clusterIP\":\"10.96.0.11\",\"ports\":[{\"port\":80}]}}",
            ["spec.clusterIPs[0]: Invalid value: [\"10.96.0.11\"]: may not change once set"]),
        new("metadata name and resourceVersion", "", "ConfigMap",
            "{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\",\"resourceVersion\":\"7\",\"uid\":\"u1\"}}",
            "{\"metadata\":{\"name\":\"b\",\"namespace\":\"default\",\"uid\":\"u1\"}}",
            ["metadata.resourceVersion: Invalid value: \"\": must be specified for an update", "metadata.name: Invalid value: \"b\": field is immutable"]),
        new("deployment selector is immutable", "apps", "Deployment",
            "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"resourceVersion\":\"3\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\",\"v\":\"2\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}",
            "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"resourceVersion\":\"3\"},\"spec\":{\"selector\":{\"matchLabels\":{\"v\":\"2\",\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\",\"v\":\"2\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx\"}]}}}}",
            ["spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\",\"v\":\"2\"}}: field is immutable"]),
        new("configmap immutable", "", "ConfigMap",
            "{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"immutable\":true,\"data\":{\"k\":\"1\"}}",
            "{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"immutable\":true,\"data\":{\"k\":\"2\"}}",
            ["data: Forbidden: field is immutable when `immutable` is set"]),
        new("endpointslice addressType is immutable", "discovery.k8s.io", "EndpointSlice",
            "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"addressType\":\"IPv4\"}",
            "{\"metadata\":{\"name\":\"s\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"addressType\":\"IPv6\"}",
            ["addressType: Invalid value: \"IPv6\": field is immutable"]),
        new("pod container image may change", "", "Pod",
            "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1\"}]}}",
            "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"resourceVersion\":\"7\"},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:2\"}]}}",
            []),
    ];

    [Theory]
    [MemberData(nameof(UpdateCases))]
    public void Update(UpdateCase c)
    {
        var old = JsonNode.Parse(c.Old)!.AsObject();
        var now = JsonNode.Parse(c.New)!.AsObject();
        ObjectDefaulter.Apply(c.Group, c.Kind, old);
        ObjectDefaulter.Apply(c.Group, c.Kind, now);
        var errors = ObjectValidator.ValidateUpdate(c.Group, c.Kind, now, old);
        Assert.Equal(c.Expected, errors.Select(e => e.ToString()).ToArray());
    }
}
