using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;
using FaultTolerant.Guest.Tests.Support;

namespace FaultTolerant.Guest.Tests.State;

/// <summary>The structured checkpoint the replication layer ships page by page.</summary>
public sealed class GuestCheckpointTests
{
    [Fact]
    public void A_delta_checkpoint_holds_exactly_the_pages_written_since_the_last_capture()
    {
        var guest = Guests.Load("memstress", ["32", "0"]);
        guest.Run(2_000_000);
        var full = guest.Checkpoint(full: true);
        Assert.Equal(guest.MemoryStatistics.MappedPages, full.Pages.Count);
        guest.Run(200_000);
        var delta = guest.Checkpoint(full: false);

        Assert.False(delta.IsFull);
        Assert.Equal(full.Sequence, delta.BaseSequence);
        Assert.InRange(delta.Pages.Count, 1, 64);
        Assert.Equal(delta.Pages.Select(p => p.Number).Order(), delta.Pages.Select(p => p.Number));
        Assert.All(delta.Pages, p => Assert.True(p.IsZero || p.Data.Length == Page.Size));
    }

    [Fact]
    public void A_checkpoint_survives_its_image_form_unchanged()
    {
        var guest = Guests.Load("compute", ["1"]);
        guest.Run(3_000_000);
        var c = guest.Checkpoint(full: true);
        var back = GuestCheckpoint.FromImage(c.ToImage());
        Assert.Equal(c.Sequence, back.Sequence);
        Assert.Equal(c.Machine.ToArray(), back.Machine.ToArray());
        Assert.Equal(c.Pages.Select(p => (p.Number, p.Permissions, p.Data.ToArray())), back.Pages.Select(p => (p.Number, p.Permissions, p.Data.ToArray())));
    }

    [Fact]
    public void A_backup_applying_checkpoints_tracks_the_primary_hash_for_hash()
    {
        var primary = Guests.Load("memstress", ["512", "6"]);
        var backup = Rv64Guest.Restore(primary.Checkpoint(full: true), null, Guests.Deterministic());
        while (primary.Status == GuestStatus.Runnable)
        {
            primary.Run(250_000);
            primary.TakeOutput();
            backup.ApplyCheckpoint(primary.Checkpoint(full: false));
            Assert.Equal(primary.StateHash(), backup.StateHash());
        }
        Assert.Equal(GuestStatus.Exited, backup.Status);
    }

    [Fact]
    public void A_checkpoint_with_a_malformed_page_is_refused_before_anything_changes()
    {
        var primary = Guests.Load("hello");
        var backup = Rv64Guest.Restore(primary.Checkpoint(full: true), null, Guests.Deterministic());
        primary.Run(1000);
        var good = primary.Checkpoint(full: false);
        var before = backup.StateHash();
        var page = good.Pages[0];
        GuestCheckpoint With(IReadOnlyList<CheckpointPage> pages) =>
            new(false, good.Sequence, good.BaseSequence, good.PageLimit, good.Machine, good.Unmapped, pages);

        Assert.Throws<CorruptStateException>(() => backup.ApplyCheckpoint(With([page, page])));
        Assert.Throws<CorruptStateException>(() => backup.ApplyCheckpoint(With([page with { Data = new byte[100] }])));
        Assert.Throws<CorruptStateException>(() => backup.ApplyCheckpoint(With([page with { Number = 1UL << 40 }])));
        Assert.Throws<CorruptStateException>(() => backup.ApplyCheckpoint(With([page with { Permissions = (PagePermissions)0x80 }])));
        Assert.Throws<CorruptStateException>(() => backup.ApplyCheckpoint(
            new GuestCheckpoint(false, good.Sequence, good.BaseSequence, good.PageLimit, good.Machine[..^1], good.Unmapped, good.Pages)));
        Assert.Equal(before, backup.StateHash());

        backup.ApplyCheckpoint(good);
        Assert.Equal(primary.StateHash(), backup.StateHash());
    }
}
