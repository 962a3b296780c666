using System.Runtime.Versioning;

// The runtime runs Linux plugins in Linux namespaces.
[assembly: SupportedOSPlatform("linux")]
