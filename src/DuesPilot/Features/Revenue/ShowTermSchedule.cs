using DuesPilot.Domain.Revenue;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>A term's whole schedule as planned today, month by month, marking the months already closed: what staff read when a member asks "what does my March charge cover?".</summary>
public static class ShowTermSchedule
{
    public sealed record Row(ScheduledRecognition Planned, bool Closed);

    public sealed record Outcome(DuesTerm? Term, IReadOnlyList<DuesEvent> Events, IReadOnlyList<Row> Rows);

    public static Task<Outcome> HandleAsync(Store store, string termId, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var term = await RevenueStore.FindTermAsync(c, tx, termId);
            if (term is null) return new Outcome(null, [], []);
            var events = await RevenueStore.EventsAsync(c, tx, termId);
            var plan = RecognitionSchedule.Plan(term, events);
            if (await RevenueStore.CatchUpMonthAsync(c, tx, termId) is { } from) plan = RecognitionSchedule.CatchUp(plan, from);
            var lastClosed = await RevenueStore.LastClosedMonthAsync(c, tx, term.Currency);
            return new Outcome(term, events, plan.Months.Select(m => new Row(m, lastClosed is { } lc && m.Month <= lc)).ToList());
        }, ct);
}
