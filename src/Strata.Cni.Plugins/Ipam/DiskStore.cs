using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Strata.Cni.Plugins.Skel;

namespace Strata.Cni.Plugins.Ipam;

/// <summary>
/// host-local's files, as upstream's disk backend keeps them
/// (plugins/ipam/host-local/backend/disk/backend.go): <c>&lt;dataDir&gt;/&lt;network&gt;/&lt;ip&gt;</c>
/// holding "containerID\r\nifname", <c>last_reserved_ip.&lt;range set&gt;</c>, and a <c>lock</c> file
/// that serialises every process allocating on this network (flock).
/// </summary>
internal sealed class DiskStore : IDisposable
{
    public const string LineBreak = "\r\n";
    private const string LastIpPrefix = "last_reserved_ip.";

    private readonly SafeFileHandle _lock;

    public DiskStore(string dataDir, string network)
    {
        Directory = Path.Combine(dataDir, network);
        System.IO.Directory.CreateDirectory(Directory);
        _lock = File.OpenHandle(Path.Combine(Directory, "lock"), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
    }

    public string Directory { get; }

    /// <summary>Holds the exclusive lock until disposed; blocks while another process holds it.</summary>
    public IDisposable Lock()
    {
        while (Interop.Libc.flock(_lock, Interop.Libc.LOCK_EX) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != 4) // EINTR
            {
                throw new CniException(CniErrorCode.IoFailure, $"cannot lock {Path.Combine(Directory, "lock")}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }

        return new Unlocker(_lock);
    }

    /// <summary>Claims <paramref name="ip"/> with an O_EXCL create; false if it is already taken.</summary>
    public bool Reserve(string id, string ifName, IPAddress ip, int rangeSet)
    {
        string path = Path.Combine(Directory, ip.ToString());
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }

        try
        {
            using (file)
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(id.Trim() + LineBreak + ifName));
                file.Flush(flushToDisk: true);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        WriteAtomically(Path.Combine(Directory, LastIpPrefix + rangeSet), ip.ToString());
        return true;
    }

    public IPAddress? LastReservedIp(int rangeSet)
    {
        string path = Path.Combine(Directory, LastIpPrefix + rangeSet);
        return File.Exists(path) && IPAddress.TryParse(File.ReadAllText(path).Trim(), out var ip) ? IpMath.Canonical(ip) : null;
    }

    /// <summary>The addresses held by (id, ifname); also the older files that held the id alone.</summary>
    public IReadOnlyList<IPAddress> GetById(string id, string ifName) =>
        Reservations().Where(r => r.Owner == Key(id, ifName) || r.Owner == id.Trim()).Select(r => r.Ip).ToList();

    public bool FindById(string id, string ifName) => GetById(id, ifName).Count > 0;

    public void Release(IPAddress ip) => File.Delete(Path.Combine(Directory, ip.ToString()));

    public void ReleaseById(string id, string ifName)
    {
        var held = Reservations().Where(r => r.Owner == Key(id, ifName)).ToList();
        if (held.Count == 0)
        {
            held = Reservations().Where(r => r.Owner == id.Trim()).ToList();
        }

        foreach (var reservation in held)
        {
            File.Delete(reservation.Path);
        }
    }

    /// <summary>Every reservation: (path, address, owner), for GC.</summary>
    public IEnumerable<(string Path, IPAddress Ip, string Owner)> Reservations()
    {
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (IPAddress.TryParse(Path.GetFileName(path), out var ip))
            {
                string owner;
                try
                {
                    owner = File.ReadAllText(path).Trim();
                }
                catch (IOException)
                {
                    continue;
                }

                yield return (path, IpMath.Canonical(ip), owner);
            }
        }
    }

    public void Dispose() => _lock.Dispose();

    private static string Key(string id, string ifName) => id.Trim() + LineBreak + ifName;

    private static void WriteAtomically(string path, string contents)
    {
        string temporary = $"{path}.tmp{Environment.ProcessId}";
        File.WriteAllText(temporary, contents);
        File.Move(temporary, path, overwrite: true);
    }

    private sealed class Unlocker(SafeFileHandle handle) : IDisposable
    {
        public void Dispose() => Interop.Libc.flock(handle, Interop.Libc.LOCK_UN);
    }
}
