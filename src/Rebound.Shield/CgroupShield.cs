using System.Globalization;
using Rebound.Shield.Kernel;
using Rebound.Shield.Programs;

namespace Rebound.Shield;

/// <summary>
/// The shield on one cgroup v2: its programs record which local address each UDP peer asked and set that address as
/// the source of unconnected replies from processes in the cgroup (and its descendants). Attached by this process it
/// lasts until <see cref="Dispose"/> (or the process's death) unless <see cref="Pin"/> makes it outlive the process;
/// a pinned one is found again with <see cref="OpenPinned(string)"/> and removed with <see cref="Detach"/>.
/// </summary>
public sealed class CgroupShield : IDisposable
{
    /// <summary>Entries of the address map unless told otherwise; the oldest are evicted when it is full.</summary>
    public const int DefaultCapacity = 65536;

    /// <summary>Where pinned shields live, one directory per cgroup id.</summary>
    public const string PinRoot = BpfFileSystem.MountPoint + "/rebound";

    private static readonly string[] LinkNames = ["ingress", "sendmsg4", "sendmsg6"];

    private readonly BpfMap _addresses;
    private readonly BpfMap _counters;
    private readonly List<BpfLink> _links;
    private readonly ShieldObjects? _objects;
    private bool _disposed;

    private CgroupShield(string? cgroupPath, ulong cgroupId, BpfMap addresses, BpfMap counters, List<BpfLink> links, ShieldObjects? objects, bool pinned)
    {
        CgroupPath = cgroupPath;
        CgroupId = cgroupId;
        _addresses = addresses;
        _counters = counters;
        _links = links;
        _objects = objects;
        IsPinned = pinned;
    }

    /// <summary>The cgroup's directory; null for a pinned shield whose cgroup has been removed.</summary>
    public string? CgroupPath { get; }

    /// <summary>The cgroup's id (the inode number of its directory), as bpftool and the kernel report it.</summary>
    public ulong CgroupId { get; }

    /// <summary>True when the shield is pinned in bpffs and outlives this object.</summary>
    public bool IsPinned { get; private set; }

    /// <summary>How many peers the address map holds before it evicts the oldest.</summary>
    public int Capacity => _addresses.MaxEntries;

    /// <summary>The directory in bpffs where this shield is (or would be) pinned.</summary>
    public string PinDirectory => PinDirectoryOf(CgroupId);

    /// <summary>Loads the programs and attaches them to <paramref name="cgroupPath"/>; detached again on dispose unless pinned.</summary>
    public static CgroupShield Attach(string cgroupPath, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(cgroupPath);
        if (!Cgroups.IsCgroup(cgroupPath))
        {
            throw new ArgumentException($"{cgroupPath} is not a cgroup v2 directory", nameof(cgroupPath));
        }

        ulong id = Cgroups.Id(cgroupPath);
        var objects = ShieldObjects.Load(capacity);
        var links = new List<BpfLink>();
        try
        {
            using var cgroup = FileDescriptor.OpenDirectory(cgroupPath);
            foreach (var (program, hook, _) in objects.Attachments)
            {
                links.Add(BpfLink.Create(program, cgroup, hook));
            }
        }
        catch
        {
            links.ForEach(l => l.Dispose());
            objects.Dispose();
            throw;
        }

        return new CgroupShield(Path.GetFullPath(cgroupPath).TrimEnd('/'), id, objects.Addresses, objects.Counters, links, objects, pinned: false);
    }

    /// <summary>The pinned shield of <paramref name="cgroupPath"/>; null when it has none.</summary>
    public static CgroupShield? OpenPinned(string cgroupPath)
    {
        ArgumentNullException.ThrowIfNull(cgroupPath);
        if (!Directory.Exists(PinRoot))
        {
            return null;
        }

        ulong id = Cgroups.Id(cgroupPath);
        return OpenPinnedById(id, Path.GetFullPath(cgroupPath).TrimEnd('/'));
    }

    /// <summary>Every pinned shield on this host.</summary>
    public static IReadOnlyList<CgroupShield> OpenAllPinned()
    {
        var shields = new List<CgroupShield>();
        if (!Directory.Exists(PinRoot))
        {
            return shields;
        }

        foreach (string directory in Directory.EnumerateDirectories(PinRoot, "cg*"))
        {
            if (ulong.TryParse(Path.GetFileName(directory).AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) &&
                OpenPinnedById(id, Cgroups.FindById(id)) is { } shield)
            {
                shields.Add(shield);
            }
        }

        return shields;
    }

    /// <summary>Makes the shield outlive this process: links and maps pinned under <see cref="PinDirectory"/>.</summary>
    public void Pin()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsPinned)
        {
            return;
        }

        BpfFileSystem.EnsureMounted();
        string directory = PinDirectory;
        if (Directory.Exists(directory))
        {
            throw new InvalidOperationException($"a shield is already pinned for this cgroup at {directory}");
        }

        Directory.CreateDirectory(directory);   // and PinRoot with it, in one call: RemovePins may be removing an empty root
        try
        {
            BpfObjects.Pin(_addresses.Fd, Path.Join(directory, "addresses"));
            BpfObjects.Pin(_counters.Fd, Path.Join(directory, "counters"));
            for (int i = 0; i < _links.Count; i++)
            {
                BpfObjects.Pin(_links[i].Fd, Path.Join(directory, LinkNames[i]));
            }
        }
        catch
        {
            RemovePins(directory);
            throw;
        }

        IsPinned = true;
    }

    /// <summary>Detaches the programs now and removes the pins; nothing of the shield stays in the kernel.</summary>
    public void Detach()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var link in _links)
        {
            link.Detach();
        }

        if (IsPinned)
        {
            RemovePins(PinDirectory);
            IsPinned = false;
        }

        Dispose();
    }

    /// <summary>Detaches every pinned shield on the host; returns how many there were.</summary>
    public static int DetachAllPinned()
    {
        int count = 0;
        foreach (var shield in OpenAllPinned())
        {
            shield.Detach();
            count++;
        }

        RemoveEmptyRoot();
        return count;
    }

    /// <summary>The counters now, summed over CPUs.</summary>
    public ShieldCounters ReadCounters()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ShieldCounters.Read(_counters);
    }

    /// <summary>A snapshot of the address map.</summary>
    public IReadOnlyList<ShieldEntry> ReadEntries()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entries = new List<ShieldEntry>();
        byte[] value = new byte[ShieldMapLayout.ValueSize];
        foreach (byte[] key in _addresses.Keys())
        {
            if (_addresses.TryLookup(key, value))
            {
                entries.Add(ShieldEntry.Decode(key, value));
            }
        }

        return entries;
    }

    /// <summary>How many peers the address map holds now.</summary>
    public int CountEntries()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _addresses.Keys().Count;
    }

    /// <summary>Closes this process's handles; an unpinned shield is detached by that, a pinned one stays.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _links.ForEach(l => l.Dispose());
        if (_objects is not null)
        {
            _objects.Dispose();
        }
        else
        {
            _addresses.Dispose();
            _counters.Dispose();
        }
    }

    /// <summary>
    /// Where a pinned shield on the cgroup with this id (<see cref="Cgroups.Id"/>) keeps its programs, links and maps:
    /// the directory exists exactly while such a shield is pinned.
    /// </summary>
    public static string PinDirectoryOf(ulong cgroupId) =>
        Path.Join(PinRoot, "cg" + cgroupId.ToString(CultureInfo.InvariantCulture));

    private static CgroupShield? OpenPinnedById(ulong id, string? cgroupPath)
    {
        string directory = PinDirectoryOf(id);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        var addresses = BpfMap.OpenPinned(Path.Join(directory, "addresses"));
        var counters = BpfMap.OpenPinned(Path.Join(directory, "counters"));
        var links = LinkNames.Select(n => BpfLink.OpenPinned(Path.Join(directory, n))).OfType<BpfLink>().ToList();
        if (addresses is null || counters is null)
        {
            // A half-removed pin directory: clean it so the cgroup can be shielded again.
            addresses?.Dispose();
            counters?.Dispose();
            links.ForEach(l => { l.Detach(); l.Dispose(); });
            RemovePins(directory);
            return null;
        }

        return new CgroupShield(cgroupPath, id, addresses, counters, links, objects: null, pinned: true);
    }

    private static void RemovePins(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(directory))
        {
            File.Delete(file);
        }

        Directory.Delete(directory);
        RemoveEmptyRoot();
    }

    /// <summary>The last shield removed takes /sys/fs/bpf/rebound with it, so a detached host keeps nothing of ours.</summary>
    private static void RemoveEmptyRoot()
    {
        try
        {
            if (Directory.Exists(PinRoot) && !Directory.EnumerateFileSystemEntries(PinRoot).Any())
            {
                Directory.Delete(PinRoot);
            }
        }
        catch (IOException)
        {
            // Another shield was pinned meanwhile (ENOTEMPTY) or the root went with another detach: both are fine.
        }
    }
}
