using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// host-local's files, as upstream's disk backend keeps them
/// (plugins/ipam/host-local/backend/disk/backend.go and lock.go):
/// <list type="bullet">
/// <item><c>&lt;dataDir&gt;/&lt;network&gt;/&lt;ip&gt;</c>, created with O_EXCL, holding "containerID\r\nifname";</item>
/// <item><c>last_reserved_ip.&lt;range set index&gt;</c>, holding the address last handed out from that set;</item>
/// <item><c>lock</c>, flock'ed exclusively by every process that reads or changes the others.</item>
/// </list>
/// </summary>
internal sealed class DiskStore : IDisposable
{
    public const string LineBreak = "\r\n";
    private const string LastIpPrefix = "last_reserved_ip.";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600, as upstream since v1.4

    private readonly FileStream _lockFile;

    public DiskStore(string dataDir, string network)
    {
        Directory = Path.Combine(dataDir, network);
        System.IO.Directory.CreateDirectory(Directory);
        _lockFile = OpenLock(Path.Combine(Directory, "lock"));
    }

    public string Directory { get; }

    public static string Key(string id, string ifName) => id.Trim() + LineBreak + ifName;

    /// <summary>Holds the exclusive lock until disposed; blocks while another process holds it.</summary>
    public IDisposable Lock()
    {
        while (Interop.Libc.flock(_lockFile.SafeFileHandle, Interop.Libc.LOCK_EX) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interop.Libc.EINTR)
            {
                throw new CniException(CniErrorCode.Internal, $"cannot lock {Path.Combine(Directory, "lock")}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }

        return new Unlocker(_lockFile.SafeFileHandle);
    }

    /// <summary>Claims <paramref name="ip"/> by creating its file with O_EXCL; false if the file exists already.</summary>
    public bool Reserve(string id, string ifName, IPAddress ip, int rangeSet)
    {
        string path = PathOf(ip);
        FileStream file;
        try
        {
            file = Create(path, FileMode.CreateNew);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        try
        {
            using (file)
            {
                file.Write(Encoding.UTF8.GetBytes(Key(id, ifName)));
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        // Not durable state, so a plain replace would do; rename keeps readers from seeing it half-written.
        string lastIp = Path.Combine(Directory, LastIpPrefix + rangeSet);
        string temporary = $"{lastIp}.tmp{Environment.ProcessId}";
        using (var stream = Create(temporary, FileMode.Create))
        {
            stream.Write(Encoding.UTF8.GetBytes(GoIp.Format(ip)));
        }

        File.Move(temporary, lastIp, overwrite: true);
        return true;
    }

    /// <summary>Removes one file this process reserved (to undo a half-finished ADD).</summary>
    public void Release(IPAddress ip) => File.Delete(PathOf(ip));

    /// <summary>LastReservedIP: the file's whole text as an address (no trimming, as net.ParseIP), or null.</summary>
    public IPAddress? LastReservedIp(int rangeSet)
    {
        string path = Path.Combine(Directory, LastIpPrefix + rangeSet);
        try
        {
            return GoIp.TryParseAddress(File.ReadAllText(path), out var ip) ? IpMath.Canonical(ip) : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>GetByID: the addresses held by (id, ifname), or by id alone in files an older host-local wrote.</summary>
    public IReadOnlyList<IPAddress> GetById(string id, string ifName) =>
        Reservations().Where(r => r.Owner == Key(id, ifName) || r.Owner == id.Trim()).Select(r => r.Ip).ToList();

    /// <summary>FindByID: whether (id, ifname), or failing that id alone, holds anything.</summary>
    public bool FindById(string id, string ifName) => GetById(id, ifName).Count > 0;

    /// <summary>ReleaseByID: removes what (id, ifname) holds; only if it holds nothing, what id alone holds (older files).</summary>
    public void ReleaseById(string id, string ifName)
    {
        if (!ReleaseByOwner(Key(id, ifName)))
        {
            ReleaseByOwner(id.Trim());
        }
    }

    public bool ReleaseByOwner(string owner)
    {
        bool found = false;
        foreach (var reservation in Reservations().Where(r => r.Owner == owner))
        {
            File.Delete(reservation.Path);
            found = true;
        }

        return found;
    }

    /// <summary>Every reservation file, in name order (filepath.Walk's): path, address, owner (the trimmed text).</summary>
    public IReadOnlyList<(string Path, IPAddress Ip, string Owner)> Reservations()
    {
        var found = new List<(string, IPAddress, string)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory).Order(StringComparer.Ordinal))
        {
            if (!GoIp.TryParseAddress(Path.GetFileName(path), out var ip))
            {
                continue;
            }

            try
            {
                found.Add((path, IpMath.Canonical(ip), File.ReadAllText(path).Trim()));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone since the listing, or unreadable: upstream's walk skips it too
            }
        }

        return found;
    }

    public void Dispose() => _lockFile.Dispose();

    /// <summary>A new file, mode 0600.</summary>
    private static FileStream Create(string path, FileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("host-local runs on Linux");
        }

        return new FileStream(path, new FileStreamOptions { Mode = mode, Access = FileAccess.Write, UnixCreateMode = Private });
    }

    /// <summary>The lock file, opened read-only and created mode 0750 as go-filemutex creates it.</summary>
    private static FileStream OpenLock(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("host-local runs on Linux");
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
        };
        return new FileStream(path, options);
    }

    private string PathOf(IPAddress ip) => Path.Combine(Directory, GoIp.Format(ip));

    private sealed class Unlocker(SafeFileHandle handle) : IDisposable
    {
        public void Dispose() => Interop.Libc.flock(handle, Interop.Libc.LOCK_UN);
    }
}
