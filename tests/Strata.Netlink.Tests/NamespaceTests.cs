using System.Diagnostics;

namespace Strata.Netlink.Tests;

/// <summary>
/// The <c>ip netns</c> registry, differential against iproute2: namespaces we create are usable by
/// <c>ip netns</c>, and namespaces <c>ip netns add</c> creates are usable by us. Sysctls are read
/// back with <c>ip netns exec NS sysctl -n</c>.
/// </summary>
public sealed class NamespaceTests
{
    [RootFact]
    public void Create_makes_a_namespace_that_ip_netns_lists_and_execs_in()
    {
        using var ns = ScratchNamespace.Create();
        Assert.Contains(ns.Name, IpNetnsList());
        Assert.True(NetworkNamespace.Exists(ns.Name));
        Assert.Equal(ns.Name, ns.Namespace.Name);

        // A fresh namespace: only lo, and down.
        string links = Tool.Check("ip", "netns", "exec", ns.Name, "ip", "-o", "link");
        Assert.Single(links.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(": lo: <LOOPBACK>", links);

        // What we build in it is what `ip netns exec` sees there, and not in the root namespace.
        ns.Netlink.AddLink(new BridgeSpec("strata-br-c"));
        Assert.Contains("strata-br-c", Tool.Check("ip", "netns", "exec", ns.Name, "ip", "link", "show", "strata-br-c"));
        Assert.NotEqual(0, Tool.Run("ip", "link", "show", "strata-br-c").ExitCode);

        // And both sides agree which namespace it is: the same nsfs inode.
        Assert.Equal(
            Tool.Check("stat", "-L", "-c", "%i", NetworkNamespace.PathOf(ns.Name)).Trim(),
            NamespaceInode(Tool.Check("ip", "netns", "exec", ns.Name, "readlink", "/proc/self/ns/net").Trim()));
    }

    [RootFact]
    public void A_namespace_from_ip_netns_add_opens_by_name_by_path_and_by_pid()
    {
        using var added = IpNetns.Add();
        using var byName = NetworkNamespace.Open(added.Name);
        using var byPath = NetworkNamespace.Open($"/run/netns/{added.Name}");
        Assert.Equal(added.Name, byName.Name);
        Assert.Equal($"/run/netns/{added.Name}", byPath.Name);

        using (var nl = Rtnetlink.Open(byName))
        {
            nl.AddLink(new VethSpec("by-name0", "by-name1"));
        }

        using (var nl = Rtnetlink.Open(byPath))
        {
            nl.AddLink(new BridgeSpec("by-path0"));
            Assert.NotNull(nl.FindLink("by-name0")); // the same namespace as byName
        }

        string shown = Tool.Check("ip", "-n", added.Name, "-o", "link");
        Assert.Contains("by-name0", shown);
        Assert.Contains("by-name1", shown);
        Assert.Contains("by-path0", shown);

        // By pid: a process ip netns exec started inside it.
        var start = new ProcessStartInfo("ip") { ArgumentList = { "netns", "exec", added.Name, "sleep", "30" } };
        using var sleeper = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip netns exec");
        try
        {
            WaitUntil(() => ProcessName(sleeper.Id) == "sleep", "ip netns exec to switch namespace and exec sleep");
            using var byPid = NetworkNamespace.OpenPid(sleeper.Id);
            Assert.Equal($"pid {sleeper.Id}", byPid.Name);
            using var pidNetlink = Rtnetlink.Open(byPid);
            Assert.NotNull(pidNetlink.FindLink("by-path0")); // made through the name, seen through the pid
            pidNetlink.AddLink(new BridgeSpec("by-pid0"));   // made through the pid, seen through the name
            using var nameNetlink = Rtnetlink.Open(byName);
            Assert.NotNull(nameNetlink.FindLink("by-pid0"));
            Assert.Contains("by-pid0", Tool.Check("ip", "-n", added.Name, "link", "show", "by-pid0"));
        }
        finally
        {
            if (!sleeper.HasExited)
            {
                sleeper.Kill();
            }

            sleeper.WaitForExit();
        }
    }

    [RootFact]
    public void List_shows_namespaces_from_both_us_and_ip_in_order()
    {
        using var ours = ScratchNamespace.Create();
        using var theirs = IpNetns.Add();
        var list = NetworkNamespace.List();
        Assert.Contains(ours.Name, list);
        Assert.Contains(theirs.Name, list);
        Assert.Equal(list.Order(StringComparer.Ordinal), list);
        Assert.Contains(ours.Name, IpNetnsList());
    }

    [RootFact]
    public void Delete_removes_it_from_ip_netns_list_and_ip_netns_del_removes_ours()
    {
        string name = UniqueName();
        NetworkNamespace.Create(name).Dispose();
        try
        {
            Assert.Contains(name, IpNetnsList());
            NetworkNamespace.Delete(name);
            Assert.DoesNotContain(name, IpNetnsList());
            Assert.DoesNotContain(name, NetworkNamespace.List());
            Assert.False(NetworkNamespace.Exists(name));
            Assert.False(File.Exists(NetworkNamespace.PathOf(name)));
            Assert.NotEqual(0, Tool.Run("ip", "netns", "exec", name, "true").ExitCode);

            // One we created is removable by iproute2: it is a real bind mount, not just a file.
            NetworkNamespace.Create(name).Dispose();
            Tool.Check("ip", "netns", "del", name);
            Assert.False(NetworkNamespace.Exists(name));
        }
        finally
        {
            if (NetworkNamespace.Exists(name))
            {
                NetworkNamespace.Delete(name);
            }
        }
    }

    [RootFact]
    public void Deleting_a_missing_namespace_names_it()
    {
        string name = UniqueName();
        var error = Assert.Throws<NetlinkException>(() => NetworkNamespace.Delete(name));
        Assert.Contains(name, error.Message);
        Assert.Contains($"/run/netns/{name} does not exist", error.Message);
        Assert.Equal("ENOENT", error.ErrnoName);
        Assert.Equal($"netns del {name}", error.Operation);
    }

    [RootTheory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("strata-t-bad\nname")]
    public void Invalid_names_are_rejected_and_create_nothing(string name)
    {
        Assert.False(Directory.Exists("/run/netns/a")); // what "a/b" would have needed
        var before = Directory.Exists(NetworkNamespace.RunDirectory)
            ? Directory.GetFileSystemEntries(NetworkNamespace.RunDirectory).Where(p => Path.GetFileName(p).StartsWith("strata-t-bad", StringComparison.Ordinal)).ToList()
            : [];

        var create = Assert.Throws<NetlinkArgumentException>(() => NetworkNamespace.Create(name));
        Assert.Equal($"netns add {name}", create.Operation);
        Assert.Contains(name.Length == 0 ? "empty" : "not a valid file name", create.Problem);
        Assert.Throws<NetlinkArgumentException>(() => NetworkNamespace.Delete(name));
        Assert.False(NetworkNamespace.Exists(name));

        Assert.False(Directory.Exists("/run/netns/a"));
        Assert.False(File.Exists("/run/netns/a"));
        Assert.True(Directory.Exists("/run")); // ".." must not have touched the parent
        Assert.Empty(before);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(NetworkNamespace.RunDirectory), p => Path.GetFileName(p).StartsWith("strata-t-bad", StringComparison.Ordinal));
    }

    [RootFact]
    public void Creating_an_existing_name_fails_and_leaves_the_existing_namespace_intact()
    {
        using var ns = ScratchNamespace.Create();
        ns.Netlink.AddLink(new BridgeSpec("keep0"));
        ns.Netlink.AddAddress("keep0", IpPrefix.Parse("10.77.0.1/24"));
        string inode = Tool.Check("stat", "-L", "-c", "%i", NetworkNamespace.PathOf(ns.Name)).Trim();

        var error = Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(ns.Name));
        Assert.Contains(ns.Name, error.Message);
        Assert.Equal("EEXIST", error.ErrnoName);

        // The same namespace, still mounted, with what was in it.
        Assert.True(NetworkNamespace.Exists(ns.Name));
        Assert.Equal(inode, Tool.Check("stat", "-L", "-c", "%i", NetworkNamespace.PathOf(ns.Name)).Trim());
        Assert.Contains("10.77.0.1/24", Tool.Check("ip", "netns", "exec", ns.Name, "ip", "addr", "show", "keep0"));
        using var reopened = NetworkNamespace.Open(ns.Name);
        using var nl = Rtnetlink.Open(reopened);
        Assert.NotNull(nl.FindLink("keep0"));

        // The same for a name iproute2 made.
        using var theirs = IpNetns.Add();
        Tool.Ip(theirs.Name, "link", "add", "keep1", "type", "bridge");
        Assert.Equal("EEXIST", Assert.Throws<NetlinkException>(() => NetworkNamespace.Create(theirs.Name)).ErrnoName);
        Assert.Contains("keep1", Tool.Check("ip", "netns", "exec", theirs.Name, "ip", "link", "show", "keep1"));
    }

    [RootFact]
    public void Run_executes_on_a_thread_in_the_target_and_leaves_the_caller_where_it_was()
    {
        using var ns = ScratchNamespace.Create();
        string callerBefore = CurrentThreadNamespace();
        string target = "net:[" + Tool.Check("stat", "-L", "-c", "%i", NetworkNamespace.PathOf(ns.Name)).Trim() + "]";
        Assert.NotEqual(target, callerBefore);

        int callerThread = Environment.CurrentManagedThreadId;
        var (inside, thread) = ns.Namespace.Run(() => (CurrentThreadNamespace(), Environment.CurrentManagedThreadId));
        Assert.Equal(target, inside);
        Assert.NotEqual(callerThread, thread); // a dedicated thread, not the caller's
        Assert.Equal(callerBefore, CurrentThreadNamespace());

        // An exception inside propagates with its type and the caller is still unchanged.
        var error = Assert.Throws<InvalidOperationException>(() => ns.Namespace.Run(() => throw new InvalidOperationException("inside")));
        Assert.Equal("inside", error.Message);
        Assert.Equal(callerBefore, CurrentThreadNamespace());

        // Run(Action) too; and what it does happens in the target.
        ns.Namespace.Run(() => File.WriteAllText("/proc/sys/net/ipv4/conf/lo/rp_filter", "2"));
        Assert.Equal("2", Tool.Check("ip", "netns", "exec", ns.Name, "sysctl", "-n", "net.ipv4.conf.lo.rp_filter").Trim());
        Assert.Equal(callerBefore, CurrentThreadNamespace());
    }

    [RootFact]
    public async Task A_socket_opened_in_a_namespace_keeps_talking_to_it_from_other_threads()
    {
        using var ns = ScratchNamespace.Create();
        using var nl = Rtnetlink.Open(ns.Namespace);
        Assert.Same(ns.Namespace, nl.Namespace);
        Assert.Equal(ns.Name, nl.NamespaceName);

        // Thread-pool threads are in the root namespace; the socket is not.
        await Task.Run(() =>
        {
            Assert.NotEqual(ns.Namespace.Run(CurrentThreadNamespace), CurrentThreadNamespace());
            nl.AddLink(new VethSpec("thr0", "thr1"));
        });
        var other = new Thread(() => nl.AddLink(new BridgeSpec("thr-br")));
        other.Start();
        other.Join();

        Assert.Contains("thr0", Tool.Check("ip", "-n", ns.Name, "link", "show", "thr0"));
        Assert.Contains("thr-br", Tool.Check("ip", "-n", ns.Name, "link", "show", "thr-br"));
        Assert.NotEqual(0, Tool.Run("ip", "link", "show", "thr-br").ExitCode); // nothing in the root namespace

        var names = await Task.Run(() => nl.GetLinks().Select(l => l.Name).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(["lo", "thr-br", "thr0", "thr1"], names);
    }

    [RootFact]
    public void Ip_forward_is_written_per_namespace()
    {
        using var a = ScratchNamespace.Create();
        using var b = ScratchNamespace.Create();
        const string key = "net.ipv4.ip_forward";

        a.Namespace.WriteSysctl(key, "1");
        b.Namespace.WriteSysctl(key, "0");
        Assert.Equal("1", a.Namespace.ReadSysctl(key));
        Assert.Equal("1", SysctlFromIp(a.Name, key));
        Assert.Equal("0", b.Namespace.ReadSysctl(key));
        Assert.Equal("0", SysctlFromIp(b.Name, key));

        a.Namespace.WriteSysctl("net/ipv4/ip_forward", "0"); // the slash form is the same key
        b.Namespace.WriteSysctl(key, "1");
        Assert.Equal("0", SysctlFromIp(a.Name, key));
        Assert.Equal("1", SysctlFromIp(b.Name, key));
        Assert.Equal("1", b.Namespace.ReadSysctl("net/ipv4/ip_forward"));
    }

    [RootFact]
    public void Rp_filter_on_an_interface_whose_name_has_a_dot()
    {
        using var a = ScratchNamespace.Create();
        using var b = ScratchNamespace.Create();
        const string key = "net/ipv4/conf/flannel.1/rp_filter";

        // Before flannel.1 exists the key is missing, and the error says where.
        var missing = Assert.Throws<KeyNotFoundException>(() => a.Namespace.ReadSysctl(key));
        Assert.Contains(key, missing.Message);
        Assert.Contains("/proc/sys/net/ipv4/conf/flannel.1/rp_filter does not exist", missing.Message);

        foreach (var ns in new[] { a, b })
        {
            ns.Netlink.AddLink(new VxlanSpec("flannel.1", 1) { Port = 8472, Learning = false });
        }

        string bBefore = b.Namespace.ReadSysctl(key);
        string value = bBefore == "2" ? "1" : "2";
        a.Namespace.WriteSysctl(key, value);
        Assert.Equal(value, a.Namespace.ReadSysctl(key));
        Assert.Equal(value, SysctlFromIp(a.Name, key));
        Assert.Equal(value, SysctlFromIp(a.Name, "net.ipv4.conf.flannel/1.rp_filter")); // sysctl(8)'s own spelling
        Assert.Equal(bBefore, SysctlFromIp(b.Name, key));
        Assert.Equal(bBefore, b.Namespace.ReadSysctl(key));
    }

    [RootFact]
    public void Bridge_nf_call_iptables_is_written_per_namespace()
    {
        using var a = ScratchNamespace.Create();
        using var b = ScratchNamespace.Create();
        const string key = "net.bridge.bridge-nf-call-iptables";

        a.Namespace.WriteSysctl(key, "1");
        b.Namespace.WriteSysctl(key, "0");
        Assert.Equal("1", a.Namespace.ReadSysctl(key));
        Assert.Equal("1", SysctlFromIp(a.Name, key));
        Assert.Equal("0", SysctlFromIp(b.Name, key));

        a.Namespace.WriteSysctl(key, "0");
        b.Namespace.WriteSysctl(key, "1");
        Assert.Equal("0", SysctlFromIp(a.Name, key));
        Assert.Equal("1", SysctlFromIp(b.Name, key));
        Assert.Equal("1", b.Namespace.ReadSysctl(key));
    }

    [RootTheory]
    [InlineData("kernel.hostname")]
    [InlineData("vm/swappiness")]
    [InlineData("kernel.strata_no_such_key")]
    [InlineData("/proc/sys/net/ipv4/ip_forward")]
    [InlineData("net/../kernel/hostname")]
    [InlineData("net.ipv4..ip_forward")]
    [InlineData("")]
    public void Sysctl_keys_outside_net_are_rejected_before_anything_is_touched(string key)
    {
        using var ns = ScratchNamespace.Create();
        var read = Assert.ThrowsAny<ArgumentException>(() => ns.Namespace.ReadSysctl(key));
        Assert.Contains($"\"{key}\"", read.Message);
        Assert.Equal("key", read.ParamName);

        // Only keys that do not exist, or could not be written harmfully, are tried for writing.
        if (key is "kernel.strata_no_such_key" or "net.ipv4..ip_forward" or "")
        {
            Assert.ThrowsAny<ArgumentException>(() => ns.Namespace.WriteSysctl(key, "1"));
        }
    }

    [RootFact]
    public void A_missing_key_is_a_clear_error()
    {
        using var ns = ScratchNamespace.Create();
        var read = Assert.Throws<KeyNotFoundException>(() => ns.Namespace.ReadSysctl("net.ipv4.strata_missing"));
        Assert.Equal("sysctl net.ipv4.strata_missing: /proc/sys/net/ipv4/strata_missing does not exist", read.Message);

        var write = Assert.Throws<NetlinkException>(() => ns.Namespace.WriteSysctl("net.ipv4.strata_missing", "1"));
        Assert.Equal("ENOENT", write.ErrnoName);
        Assert.Contains("sysctl -w net.ipv4.strata_missing=1", write.Message);
        Assert.Contains(ns.Name, write.Message);
        Assert.Contains("/proc/sys/net/ipv4/strata_missing does not exist", write.Message);
        Assert.False(File.Exists("/proc/sys/net/ipv4/strata_missing"));

        // For net.bridge.* the error says what usually causes it.
        var bridge = Assert.Throws<KeyNotFoundException>(() => ns.Namespace.ReadSysctl("net.bridge.strata-missing"));
        Assert.Contains("br_netfilter", bridge.Message);
    }

    // ---- helpers ----

    private static string UniqueName() => $"strata-t-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The names <c>ip netns list</c> prints (each line is <c>NAME [(id: N)]</c>).</summary>
    private static List<string> IpNetnsList() =>
        Tool.Check("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0]).ToList();

    private static string SysctlFromIp(string ns, string key) => Tool.Check("ip", "netns", "exec", ns, "sysctl", "-n", key).Trim();

    /// <summary>The <c>net:[INODE]</c> link of the calling thread's network namespace.</summary>
    private static string CurrentThreadNamespace() =>
        new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? throw new InvalidOperationException("no /proc/thread-self/ns/net");

    private static string NamespaceInode(string link)
    {
        Assert.StartsWith("net:[", link);
        return link["net:[".Length..^1];
    }

    private static string? ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>A namespace made and removed by iproute2 itself (<c>ip netns add</c> / <c>ip netns del</c>).</summary>
    private sealed class IpNetns : IDisposable
    {
        private IpNetns(string name) => Name = name;

        public string Name { get; }

        public static IpNetns Add()
        {
            var ns = new IpNetns(UniqueName());
            Tool.Check("ip", "netns", "add", ns.Name);
            return ns;
        }

        public void Dispose()
        {
            if (File.Exists(NetworkNamespace.PathOf(Name)))
            {
                Tool.Run("ip", "netns", "del", Name);
            }
        }
    }
}
