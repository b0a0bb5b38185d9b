namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>Bounded waits that fail with what was awaited, never hang.</summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static Task True(Func<bool> condition, string what, TimeSpan? timeout = null) => True(condition, () => what, timeout);

    /// <param name="what">Described when the wait fails, so it can say what the state was then.</param>
    public static async Task True(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {(timeout ?? Patience).TotalSeconds:0.#} s waiting for: {what()}");
            await Task.Delay(10);
        }
    }

    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out after {(timeout ?? Patience).TotalSeconds:0.#} s waiting for: {what}");
            throw;
        }
    }

    public static async Task Within(Task task, string what, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out after {(timeout ?? Patience).TotalSeconds:0.#} s waiting for: {what}");
        }
    }
}
