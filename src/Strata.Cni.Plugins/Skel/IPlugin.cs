using System.Text.Json.Nodes;

namespace Strata.Cni.Plugins.Skel;

/// <summary>One plugin. Throw <see cref="CniException"/> for failures the runtime should see with a code.</summary>
public interface IPlugin
{
    /// <summary>The name it is installed under in /opt/cni/bin.</summary>
    string Name { get; }

    /// <summary>Returns the result object (without cniVersion; the skeleton adds it).</summary>
    JsonObject Add(CmdArgs args);

    void Del(CmdArgs args);

    void Check(CmdArgs args);

    void Status(CmdArgs args)
    {
    }

    void Gc(CmdArgs args)
    {
    }
}
