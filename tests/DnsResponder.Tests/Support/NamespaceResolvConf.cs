namespace DnsResponder.Tests.Support;

/// <summary>
/// A resolv.conf seen only by programs started with <c>ip netns exec NAME</c>, which bind-mounts
/// /etc/netns/NAME/resolv.conf over /etc/resolv.conf. The host's own /etc/resolv.conf is never touched; the folder
/// is deleted on dispose (and /etc/netns too, if this created it and it is empty).
/// </summary>
internal sealed class NamespaceResolvConf : IDisposable
{
    private const string Root = "/etc/netns";
    private readonly string _folder;
    private readonly bool _createdRoot;

    public NamespaceResolvConf(string namespaceName, string contents)
    {
        _createdRoot = !Directory.Exists(Root);
        _folder = Path.Combine(Root, namespaceName);
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "resolv.conf"), contents);
    }

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        if (_createdRoot && Directory.Exists(Root) && !Directory.EnumerateFileSystemEntries(Root).Any())
        {
            Directory.Delete(Root);
        }
    }
}
