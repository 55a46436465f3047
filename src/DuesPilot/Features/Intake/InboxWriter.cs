using System.Threading.Channels;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Intake;

/// <summary>
/// Group commit for webhook deliveries: requests that arrive while a commit is in progress are
/// written together in the next transaction, and each caller is answered only after the commit
/// that holds its item. Durability per acknowledgement is unchanged (nothing is acknowledged before
/// its commit); one fsync now covers many deliveries, which is what bounds SQLite's rate.
/// </summary>
public sealed class InboxWriter : IAsyncDisposable
{
    /// <summary>Most deliveries per transaction: keeps a transaction short under a burst.</summary>
    public const int MaxBatch = 128;

    private readonly Store _store;
    private readonly TimeProvider _clock;
    private readonly Channel<(InboxItem Item, TaskCompletionSource<QueueResult> Done)> _queue =
        Channel.CreateBounded<(InboxItem, TaskCompletionSource<QueueResult>)>(new BoundedChannelOptions(4096) { SingleReader = true });
    private readonly Task _loop;

    public InboxWriter(Store store, TimeProvider clock)
    {
        _store = store;
        _clock = clock;
        _loop = Task.Run(RunAsync);
    }

    public async Task<QueueResult> QueueAsync(InboxItem item, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<QueueResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync((item, done), ct);
        // Not cancelled with the request: once queued, the item is committed (or fails) regardless.
        return await done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<(InboxItem Item, TaskCompletionSource<QueueResult> Done)>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count == 0) continue;
            try
            {
                var items = batch.Select(b => b.Item).ToList();
                var results = await _store.InTransactionAsync((c, tx) => QueueInboxItem.RunBatchAsync(c, tx, _clock, items));
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One bad item must not fail its neighbours: write them one by one, each with its own outcome.
                foreach (var (item, done) in batch)
                {
                    try
                    {
                        done.TrySetResult(await QueueInboxItem.RunAsync(_store, _clock, item));
                    }
                    catch (Exception ex)
                    {
                        done.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Done.TrySetException(ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
