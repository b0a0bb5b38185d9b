using System.Threading.Channels;
using FaultTolerant.Guest;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>Writes the guest's released stdout and stderr to the host's streams, off the guest's thread.</summary>
internal sealed class StdioPump : IAsyncDisposable
{
    private readonly Channel<(long Stream, ReadOnlyMemory<byte> Data)> _queue = Channel.CreateUnbounded<(long, ReadOnlyMemory<byte>)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly GuestGatewayOptions _options;
    private readonly Task _pump;

    public StdioPump(GuestGatewayOptions options, CancellationToken stopping)
    {
        _options = options;
        _pump = options.Stdout is null && options.Stderr is null ? Task.CompletedTask : PumpAsync(stopping);
    }

    /// <summary>Queues bytes of stream 1 or 2; dropped if no host stream was given for it.</summary>
    public void Write(long stream, ReadOnlyMemory<byte> data)
    {
        if (Target(stream) is not null) _queue.Writer.TryWrite((stream, data));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _pump;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Stopping, or the host stream went away: the guest's output was best effort from there on.
        }
    }

    private Stream? Target(long stream) => stream == GuestStreams.Stdout ? _options.Stdout : _options.Stderr;

    private async Task PumpAsync(CancellationToken stopping)
    {
        await foreach (var (stream, data) in _queue.Reader.ReadAllAsync(stopping))
        {
            var target = Target(stream)!;
            await target.WriteAsync(data, stopping);
            await target.FlushAsync(stopping);
        }
    }
}
