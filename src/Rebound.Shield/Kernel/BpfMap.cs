using Rebound.Interop;

namespace Rebound.Shield.Kernel;

/// <summary>A BPF map owned through its file descriptor: create, read, write, walk and pin.</summary>
internal sealed unsafe class BpfMap : IDisposable
{
    private BpfMap(FileDescriptor fd, int keySize, int valueSize, int maxEntries)
    {
        Fd = fd;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
    }

    public FileDescriptor Fd { get; }

    public int KeySize { get; }

    /// <summary>Size of one value; a per-CPU map reads and writes <see cref="BpfObjects.PossibleCpuCount"/> of them, each rounded up to 8 bytes.</summary>
    public int ValueSize { get; }

    public int MaxEntries { get; }

    public static BpfMap Create(BpfMapType type, int keySize, int valueSize, int maxEntries, string name)
    {
        var attributes = new MapCreateAttributes
        {
            MapType = type,
            KeySize = (uint)keySize,
            ValueSize = (uint)valueSize,
            MaxEntries = (uint)maxEntries,
        };
        BpfObjects.WriteName(attributes.MapName, name);
        long fd = BpfCalls.Invoke(BpfCommand.MapCreate, ref attributes, out Errno errno);
        if (fd < 0)
        {
            throw new BpfException($"cannot create BPF map {name}", errno);
        }

        return new BpfMap(new FileDescriptor((int)fd), keySize, valueSize, maxEntries);
    }

    /// <summary>Opens a map pinned in bpffs; null when nothing is pinned there.</summary>
    public static BpfMap? OpenPinned(string path)
    {
        FileDescriptor? fd = BpfObjects.OpenPinned(path);
        if (fd is null)
        {
            return null;
        }

        MapInfo info = BpfObjects.GetInfo<MapInfo>(fd);
        return new BpfMap(fd, (int)info.KeySize, (int)info.ValueSize, (int)info.MaxEntries);
    }

    /// <summary>Copies the value of <paramref name="key"/> into <paramref name="value"/>; false when the key is absent.</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key);
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            return TryElementCall(BpfCommand.MapLookupElement, k, v, "map lookup");
        }
    }

    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        CheckKey(key);
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attributes = new MapElementAttributes { MapFd = Fd.Value, Key = (ulong)k, Value = (ulong)v };
            if (BpfCalls.Invoke(BpfCommand.MapUpdateElement, ref attributes, out Errno errno) < 0)
            {
                throw new BpfException("map update failed", errno);
            }
        }
    }

    /// <summary>Every key in the map, in the kernel's order (a snapshot; entries may come and go meanwhile).</summary>
    public List<byte[]> Keys()
    {
        var keys = new List<byte[]>();
        byte[]? current = null;
        byte[] next = new byte[KeySize];
        while (TryNextKey(current, next))
        {
            keys.Add(next);
            current = next;
            next = new byte[KeySize];
        }

        return keys;
    }

    public void Dispose() => Fd.Dispose();

    private bool TryNextKey(byte[]? current, byte[] next)
    {
        fixed (byte* k = current)
        fixed (byte* n = next)
        {
            return TryElementCall(BpfCommand.MapGetNextKey, k, n, "map walk");
        }
    }

    /// <summary>A key/value call where ENOENT means "no such key" (or "no next key"), not an error.</summary>
    private bool TryElementCall(BpfCommand command, byte* key, byte* value, string what)
    {
        var attributes = new MapElementAttributes { MapFd = Fd.Value, Key = (ulong)key, Value = (ulong)value };
        if (BpfCalls.Invoke(command, ref attributes, out Errno errno) < 0)
        {
            return errno == Errno.ENOENT ? false : throw new BpfException($"{what} failed", errno);
        }

        return true;
    }

    private void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"key is {key.Length} bytes, the map's keys are {KeySize}", nameof(key));
        }
    }
}
