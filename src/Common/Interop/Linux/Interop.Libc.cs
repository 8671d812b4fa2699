namespace Rebound.Interop;

/// <summary>
/// Every native call Rebound makes: hand-written <c>[LibraryImport]</c>s into the C library, one file per call group
/// under <c>src/Common/Interop/Linux</c> (like dotnet/runtime's <c>Interop.Sys</c>). Each assembly compiles the groups it
/// needs (<c>src/Common/Common.targets</c>), so each has its own internal copy and none needs another's internals.
/// Calls return -1 and leave the errno for <see cref="Errno.Last"/>; the classes above them retry EINTR with
/// <see cref="Errno.Interrupted"/> and turn other errors into exceptions (<see cref="Errno.ToException"/>).
/// </summary>
internal static unsafe partial class Libc
{
    public const string Library = "libc";
}
