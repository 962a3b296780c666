using static Strata.Agent.Interop.Libc;

namespace Strata.Agent.Runtime;

/// <summary>
/// The hostPath type check the kubelet makes on the node before mounting (pkg/volume/hostpath/host_path.go,
/// checkTypeInternal): the *OrCreate types create what is missing (a directory 0755, an empty file 0644), the others
/// require the path to be of their kind; an empty type checks nothing.
/// </summary>
public static class HostPathTypes
{
    public static void Prepare(string volume, string path, string? type)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("hostPath volumes need Linux");
        }

        int? kind = FileType(path);
        switch (type ?? string.Empty)
        {
            // Unchecked; a missing source becomes a directory, as containerd's CRI makes it (WithMounts: MkdirAll).
            case "" when kind is not null:
                return;
            case "" or "DirectoryOrCreate" when kind is null:
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                return;
            case "DirectoryOrCreate" or "Directory":
                Require(volume, path, kind == S_IFDIR, "directory");
                return;
            case "FileOrCreate" when kind is null:
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using (File.Create(path))
                {
                }

                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                return;
            case "FileOrCreate" or "File":
                Require(volume, path, kind == S_IFREG, "file");
                return;
            case "Socket":
                Require(volume, path, kind == S_IFSOCK, "socket file");
                return;
            case "CharDevice":
                Require(volume, path, kind == S_IFCHR, "character device");
                return;
            case "BlockDevice":
                Require(volume, path, kind == S_IFBLK, "block device");
                return;
            default:
                throw new VolumeMountException(volume, $"{type} is an invalid volume type");
        }
    }

    private static void Require(string volume, string path, bool holds, string what)
    {
        if (!holds)
        {
            throw new VolumeMountException(volume, $"hostPath type check failed: {path} is not a {what}");
        }
    }
}
