using System.Text;

namespace Strata.Netlink;

/// <summary>The kernel's rules for interface names (net/core/dev.c, dev_valid_name).</summary>
public static class InterfaceName
{
    /// <summary>IFNAMSIZ - 1: the name and its NUL must fit in 16 bytes.</summary>
    public const int MaxBytes = 15;

    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "interface name is empty";
        }

        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
        {
            return $"interface name \"{name}\" is {bytes} bytes; the kernel allows at most {MaxBytes}";
        }

        if (name is "." or "..")
        {
            return $"interface name \"{name}\" is reserved";
        }

        foreach (char c in name)
        {
            if (c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return $"interface name \"{name}\" contains '{(char.IsWhiteSpace(c) || char.IsControl(c) ? "\\u" + ((int)c).ToString("x4") : c.ToString())}', which the kernel forbids";
            }
        }

        return null;
    }
}
