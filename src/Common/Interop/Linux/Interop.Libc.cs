namespace Rebound.Interop;

/// <summary>
/// Every native call Rebound makes: hand-written <c>[LibraryImport]</c>s into the C library, one file per call group
/// under <c>src/Common/Interop/Linux</c> (like dotnet/runtime's <c>Interop.Sys</c>). Each assembly compiles the groups it
/// needs (<c>src/Common/Common.targets</c>), so each has its own internal copy and none needs another's internals.
/// Calls return -1 and leave the errno for <see cref="LastError"/> (a typed <see cref="Errno"/>); the classes above
/// them retry EINTR with <see cref="Interrupted"/>, pass the <see cref="Errno"/> up, and the public class turns it into
/// a <see cref="System.Net.Sockets.SocketException"/> (<see cref="ErrnoExtensions.ToException"/>) or a documented type.
/// </summary>
internal static unsafe partial class Libc
{
    public const string Library = "libc";
}
