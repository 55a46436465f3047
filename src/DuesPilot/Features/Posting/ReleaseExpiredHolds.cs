using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Posting;

/// <summary>
/// Posts every hold whose window has ended to its final accounts: dues receivable for the invoice
/// allocations, member credit for money kept on account. Bounded per run; idempotent because each
/// hold resolves once (the store's unique resolution key), so a crash and rerun posts nothing twice.
/// </summary>
public static class ReleaseExpiredHolds
{
    public sealed record Outcome(int Posted, int AlreadyResolved, Money TotalPosted);

    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, int batchSize = 500, bool dryRun = false, CancellationToken ct = default)
    {
        var journal = new Journal(store);
        var now = clock.GetUtcNow();
        var due = await journal.OpenHoldsAsync(now, batchSize, ct);
        var posted = 0;
        var already = 0;
        var total = Money.Zero(due.Count > 0 ? due[0].Currency : Currency.USD);
        foreach (var hold in due)
        {
            if (dryRun)
            {
                posted++;
                total += hold.HeldAmount;
                continue;
            }

            var result = await store.InTransactionAsync(async (c, tx) =>
            {
                var allocations = await c.QueryAsync<(string? Invoice, string Member, string Currency, long Amount)>(
                    "SELECT invoice_id, member_id, currency, amount_minor FROM allocations WHERE entry_id = @id ORDER BY allocation_id",
                    new { id = hold.Id.ToString() }, tx);
                var credits = allocations
                    .GroupBy(a => a.Invoice is null ? accounts.MemberCredit : accounts.DuesReceivable)
                    .Select(g => LedgerLine.Credit(g.Key, Money.FromMinor(g.Sum(a => a.Amount), Currency.Parse(g.First().Currency))))
                    .ToList();
                if (credits.Count == 0) credits.Add(LedgerLine.Credit(accounts.UnappliedCash, hold.HeldAmount));
                var post = JournalEntry.Post(EntryId.New(clock), hold.IdempotencyKey + ":post", hold, clock.GetUtcNow(), "Hold window ended", credits);
                var r = await Journal.RecordAsync(c, tx, post);
                if (r == LedgerResult.Created)
                {
                    await c.ExecuteAsync("UPDATE payments SET state = 'posted' WHERE payment_id IN (SELECT payment_id FROM allocations WHERE entry_id = @id)",
                        new { id = hold.Id.ToString() }, tx);
                    await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "hold.posted", $"entry:{hold.Id}",
                        $"posted {hold.HeldAmount.ToDisplayString()} from GL_AI_Hold to final accounts"));
                }

                return r;
            }, ct);
            if (result == LedgerResult.Created)
            {
                posted++;
                total += hold.HeldAmount;
            }
            else
            {
                already++;
            }
        }

        return new Outcome(posted, already, total);
    }
}
