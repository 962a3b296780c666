using System.Text.Json.Nodes;
using Strata.ApiServer.Validation;

namespace Strata.ApiServer.Tests.Validation;

/// <summary>Error bodies and status messages as apimachinery prints them.</summary>
public class FormattingCases
{
    private static readonly FieldPath s_port = FieldPath.Root("spec").Child("ports").Index(0).Child("port");

    [Fact]
    public void InvalidStatusMessageForOneError()
    {
        var errors = new[] { FieldErrors.Invalid(s_port, 0, NameRules.InclusiveRangeError(1, 65535)) };
        Assert.Equal("Service \"web\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            StatusMessages.Invalid("Service", "web", errors));
    }

    [Fact]
    public void InvalidStatusMessageAggregatesAndDropsRepeats()
    {
        var errors = new[]
        {
            FieldErrors.Required(FieldPath.Root("spec").Child("rules"), ""),
            FieldErrors.Forbidden(FieldPath.Root("metadata").Child("namespace"), "not allowed on this type"),
            FieldErrors.Required(FieldPath.Root("spec").Child("rules"), ""),
        };
        Assert.Equal("Ingress.networking.k8s.io \"web\" is invalid: [spec.rules: Required value, metadata.namespace: Forbidden: not allowed on this type]",
            StatusMessages.Invalid("networking.k8s.io", "Ingress", "web", errors));
        Assert.Equal("Service \"web\" is invalid", StatusMessages.Invalid("Service", "web", []));
    }

    [Fact]
    public void ReasonsAreStatusCauseTypes()
    {
        Assert.Equal("FieldValueInvalid", FieldErrors.Invalid(s_port, 0, "x").Reason);
        Assert.Equal("FieldValueRequired", FieldErrors.Required(s_port, "").Reason);
        Assert.Equal("FieldValueDuplicate", FieldErrors.Duplicate(s_port, 1).Reason);
        Assert.Equal("FieldValueNotSupported", FieldErrors.NotSupported(s_port, "a", ["b"]).Reason);
        Assert.Equal("FieldValueForbidden", FieldErrors.Forbidden(s_port, "x").Reason);
        Assert.Equal("FieldValueTooLong", FieldErrors.TooLong(s_port, 1).Reason);
        Assert.Equal("FieldValueTooMany", FieldErrors.TooMany(s_port, 3, 2).Reason);
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ErrorBodies(FieldError error, string expected) => Assert.Equal(expected, error.Body);

    public static TheoryData<FieldError, string> Bodies() => new()
    {
        { FieldErrors.Required(s_port, ""), "Required value" },
        { FieldErrors.Required(s_port, "must be set"), "Required value: must be set" },
        { FieldErrors.Invalid(s_port, "a\"b\n\u00e9\u0001", "bad"), "Invalid value: \"a\\\"b\\n\u00e9\\x01\": bad" },
        { FieldErrors.Invalid(s_port, true, "bad"), "Invalid value: true: bad" },
        { FieldErrors.Invalid(s_port, BadValue.Json(null), "bad"), "Invalid value: null: bad" },
        { FieldErrors.Invalid(s_port, BadValue.Json(new JsonObject { ["a"] = "<b>" }), "bad"), "Invalid value: {\"a\":\"\\u003cb\\u003e\"}: bad" },
        { FieldErrors.NotSupported(s_port, BadValue.Named("HTTP"), ["SCTP", "TCP", "UDP"]), "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"" },
        { FieldErrors.NotSupported(s_port, "x", []), "Unsupported value: \"x\"" },
        { FieldErrors.Duplicate(s_port, 80), "Duplicate value: 80" },
        { FieldErrors.Forbidden(s_port, "no"), "Forbidden: no" },
        { FieldErrors.TooLong(s_port, 262144), "Too long: may not be more than 262144 bytes" },
        { FieldErrors.TooLong(s_port, 1), "Too long: may not be more than 1 byte" },
        { FieldErrors.TooMany(s_port, 1001, 1000), "Too many: 1001: must have at most 1000 items" },
        { FieldErrors.TooMany(s_port, -1, 1), "Too many: must have at most 1 item" },
        { FieldErrors.NotFound(s_port, "cache"), "Not found: \"cache\"" },
    };

    [Fact]
    public void PathsRenderAsFieldPath()
    {
        Assert.Equal("metadata.annotations[example.com/x]", FieldPath.Root("metadata").Child("annotations").Key("example.com/x").ToString());
        Assert.Equal("[]", FieldPath.Root("").ToString());
        Assert.Equal("spec.template.metadata.labels", FieldPath.Root("spec").Child("template", "metadata", "labels").ToString());
    }

    [Theory]
    [InlineData("my-name", new string[0])]
    [InlineData("my.name", new[] { "must not contain dots" })]
    [InlineData("-x", new[] { "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" })]
    [InlineData("a-very-long-label-that-goes-on-and-on-and-on-for-more-than-sixty-three", new[] { "must be no more than 63 characters" })]
    public void Dns1123Labels(string value, string[] expected) => Assert.Equal(expected, NameRules.IsDns1123Label(value));

    [Fact]
    public void LabelValuesCountBytes()
    {
        Assert.Equal(["must be no more than 63 bytes"], NameRules.IsValidLabelValue(new string('a', 64)));
        Assert.Empty(NameRules.IsValidLabelValue(""));
    }

    [Theory]
    [InlineData("10.0.0.1", new string[0])]
    [InlineData("2001:db8::1", new string[0])]
    [InlineData("2001:0db8::1", new[] { "must be in canonical form (\"2001:db8::1\")" })]
    [InlineData("2001:db8:0:0:0:0:0:1", new[] { "must be in canonical form (\"2001:db8::1\")" })]
    [InlineData("::ffff:10.0.0.1", new[] { "must not be an IPv4-mapped IPv6 address" })]
    [InlineData("010.0.0.1", new[] { "must not have leading 0s" })]
    [InlineData("10.0.0.1%eth0", new[] { "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)" })]
    [InlineData("1::2::3", new[] { "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)" })]
    public void IpAddresses(string value, string[] details)
    {
        var errors = IpRules.IsValidIP(FieldPath.Root("ip"), value);
        Assert.Equal(details.Select(d => "ip: Invalid value: " + GoFormat.Quote(value) + ": " + d), errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.0/8", new string[0])]
    [InlineData("10.0.0.1/8", new[] { "must not have bits set beyond the prefix length" })]
    [InlineData("10.0.0.0/08", new[] { "must not have leading 0s in IP or prefix length" })]
    [InlineData("10.0.0.0/33", new[] { "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)" })]
    [InlineData("FD00::/64", new[] { "must be in canonical form (\"fd00::/64\")" })]
    public void Cidrs(string value, string[] details)
    {
        var errors = IpRules.IsValidCIDR(FieldPath.Root("cidr"), value);
        Assert.Equal(details.Select(d => "cidr: Invalid value: " + GoFormat.Quote(value) + ": " + d), errors.Select(e => e.ToString()));
    }
}
