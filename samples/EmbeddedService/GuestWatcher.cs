using FaultTolerant.Cluster.Hosting;

namespace EmbeddedService;

/// <summary>The service's own work, here only this: say where its protected guests stand whenever that changes.</summary>
public sealed class GuestWatcher(IProtectedGuests guests, ILogger<GuestWatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = "";
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var lines = new List<string>();
            foreach (var declaration in await guests.GetDeclarationsAsync(stoppingToken))
            {
                var guest = declaration.Settled && declaration.Phase != DeclarationPhase.Refused ? await TryGetGuest(declaration.Name, stoppingToken) : null;
                lines.Add(guest is null
                    ? $"{declaration.Name}: {declaration.Phase.ToString().ToLowerInvariant()} ({declaration.Message})"
                    : $"{declaration.Name}: {guest.Entry.Phase}, generation {guest.Entry.Generation}, primary {guest.Entry.Primary}, backups [{string.Join(", ", guest.Entry.Backups)}]");
            }
            var now = string.Join("; ", lines);
            if (now != last) log.LogInformation("protected guests: {Guests}", now);
            last = now;
        }
    }

    private async Task<FaultTolerant.Cluster.Placement.GuestStatus?> TryGetGuest(string name, CancellationToken cancellation)
    {
        try
        {
            return await guests.GetGuestAsync(name, cancellation);
        }
        catch (Akka.Actor.AskTimeoutException)
        {
            return null;
        }
    }
}
