namespace Rebound.Cli.Bench;

/// <summary>
/// Runs a blocking loop on a thread of its own and exposes its end as a task: the load generator and the synchronous
/// benchmark servers must not occupy (or be delayed by) the thread pool, and the load thread may pin itself to a CPU.
/// </summary>
internal static class DedicatedThread
{
    public static Task<T> Run<T>(string name, Func<T> loop)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(loop());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return completion.Task;
    }
}
