namespace Strata.Agent.Runtime;

/// <summary>Creating or tearing down a pod sandbox failed; the message is what the kubelet reports.</summary>
public sealed class SandboxException(string message, Exception? inner = null) : Exception(message, inner);
