namespace Strata.Flannel.Config;

/// <summary>A <c>net-conf.json</c> that cannot be used; the message names the source and the field.</summary>
public sealed class NetConfException(string message) : Exception(message);
