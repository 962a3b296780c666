using Xunit.Abstractions;
using Xunit.Sdk;

namespace Strata.ApiServer.Tests.Storage;

/// <summary>
/// A fact of <see cref="ObjectStoreContract"/>: it runs once per backend (each subclass), and is skipped, with the reason, when
/// the subclass's backend cannot run here (see <see cref="ObjectStoreBackendAttribute"/>). A plain [Fact] cannot do this, since
/// its Skip is fixed where the method is declared, in the shared base class.
/// </summary>
[XunitTestCaseDiscoverer("Strata.ApiServer.Tests.Storage.StoreFactDiscoverer", "Strata.ApiServer.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Put on a contract subclass: <see cref="SkipReason"/> is null when its backend can run here.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ObjectStoreBackendAttribute(Type skipReasonProvider) : Attribute
{
    /// <summary>The type whose public static <c>SkipReason</c> string property says why the backend cannot run (null: it can).</summary>
    public Type SkipReasonProvider { get; } = skipReasonProvider;

    public string? SkipReason =>
        SkipReasonProvider.GetProperty("SkipReason", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) as string;
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new StoreTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

public sealed class StoreTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StoreTestCase()
    {
    }

    public StoreTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay methodDisplay, TestMethodDisplayOptions methodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, methodDisplay, methodDisplayOptions, testMethod)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute)
    {
        if (base.GetSkipReason(factAttribute) is { } reason)
        {
            return reason;
        }

        var type = (TestMethod.TestClass.Class as IReflectionTypeInfo)?.Type;
        var backend = type?.GetCustomAttributes(typeof(ObjectStoreBackendAttribute), inherit: true).OfType<ObjectStoreBackendAttribute>().FirstOrDefault();
        return backend?.SkipReason!;
    }
}
