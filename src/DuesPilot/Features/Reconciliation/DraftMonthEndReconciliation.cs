using System.Globalization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Reconciliation;

/// <summary>One receipt as an outside system saw it: a bank file line or an iMIS cash receipt.</summary>
/// <param name="Source">"bank" or "imis" (or the file's name): shown on every difference.</param>
/// <param name="Reference">The channel's reference (check number, ACH trace, gateway id) or our payment id.</param>
public sealed record ExternalReceipt(string Source, string Reference, DateOnly Date, Money Amount);

/// <summary>
/// Drafts the month-end journal from what DuesPilot processed and ties it out against the bank and iMIS. The draft
/// is for staff to review, approve and post in iMIS: DuesPilot never posts it.
/// </summary>
/// <remarks>
/// The draft groups every journal line written in the month (UTC) by category (cash receipts, holds placed, holds
/// posted to their final accounts, holds voided, reversals, dues deferred, refunds, credits on account, write-offs,
/// revenue recognised) and account. Tie-out: every payment received in the month must have its receipt entry; every
/// payment must appear in each outside list with the same amount, matched by reference or payment id; every outside
/// line must be one of our payments. Each mismatch is one difference row.
/// </remarks>
public static class DraftMonthEndReconciliation
{
    public sealed record Request(BillingMonth Month, IReadOnlyList<ExternalReceipt> External, string Actor = "duespilot");

    public sealed record DraftLine(string Category, AccountCode Account, Money Debit, Money Credit, int Entries);

    public enum DifferenceKind
    {
        /// <summary>A payment in the month without its cash receipt entry.</summary>
        PaymentWithoutReceiptEntry,
        /// <summary>Our payment is not in the outside list.</summary>
        MissingFromExternal,
        /// <summary>An outside line that matches none of our payments.</summary>
        MissingFromDuesPilot,
        /// <summary>Matched by reference, different amounts.</summary>
        AmountDiffers,
        /// <summary>Matched, but the outside system dates it in another month.</summary>
        DateInOtherMonth,
    }

    public sealed record Difference(DifferenceKind Kind, string Source, string Reference, Money? Ours, Money? Theirs, string Detail);

    public sealed record Totals(Money CashReceipts, Money HoldsPosted, Money HoldsVoided, Money OpenHoldsAtMonthEnd, Money Refunds, Money WriteOffs, Money CreditsOnAccount, Money RevenueRecognised);

    public sealed record Draft(BillingMonth Month, IReadOnlyList<DraftLine> Lines, Totals Totals, IReadOnlyList<Difference> Differences, int PaymentsInMonth)
    {
        /// <summary>Debits equal credits over the draft (it is built from balanced entries; checked anyway).</summary>
        public bool Balances => Lines.Sum(l => l.Debit.MinorUnits) == Lines.Sum(l => l.Credit.MinorUnits);
    }

    public static Task<Draft> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var month = request.Month;
            // The month's instants in the association's zone (Association:TimeZone).
            var range = BusinessClock.Of(clock).RangeOf(month);
            var from = DbTime.Format(range.From);
            var to = DbTime.Format(range.To);
            var lines = (await c.QueryAsync<(string Entry, string Key, string Kind, string Account, string Currency, long Amount)>(
                """
                SELECT e.entry_id, e.idempotency_key, e.kind, l.account, l.currency, l.amount_minor
                FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.entry_id
                WHERE e.effective_date >= @firstDay AND e.effective_date <= @lastDay
                ORDER BY e.effective_date, e.created_at, e.entry_id, l.line_no
                """, new { firstDay = DbTime.Format(month.First), lastDay = DbTime.Format(month.Last) }, tx)).ToList();
            var currency = lines.Count > 0 ? Currency.Parse(lines[0].Currency) : Currency.USD;
            Money M(long minor) => Money.FromMinor(minor, currency);

            var byEntry = lines.GroupBy(l => l.Entry).ToList();
            var draft = new Dictionary<(string Category, string Account), (long Debit, long Credit, HashSet<string> Entries)>();
            foreach (var entry in byEntry)
            {
                var first = entry.First();
                var category = Categorise(first.Kind, first.Key, entry.Select(l => (l.Account, l.Amount)).ToList(), accounts);
                foreach (var l in entry)
                {
                    var key = (category, l.Account);
                    var cur = draft.GetValueOrDefault(key, (0, 0, new HashSet<string>(StringComparer.Ordinal)));
                    cur.Entries.Add(l.Entry);
                    draft[key] = l.Amount > 0 ? (cur.Debit + l.Amount, cur.Credit, cur.Entries) : (cur.Debit, cur.Credit - l.Amount, cur.Entries);
                }
            }

            var draftLines = draft.OrderBy(d => d.Key.Category, StringComparer.Ordinal).ThenBy(d => d.Key.Account, StringComparer.Ordinal)
                .Select(d => new DraftLine(d.Key.Category, new AccountCode(d.Key.Account), M(d.Value.Debit), M(d.Value.Credit), d.Value.Entries.Count)).ToList();

            long Sum(Func<(string Entry, string Key, string Kind, string Account, string Currency, long Amount), bool> where) => lines.Where(where).Sum(l => l.Amount);
            var openHoldsAtEnd = await c.ExecuteScalarAsync<long?>(
                """
                SELECT CAST(SUM(l.amount_minor) AS BIGINT) FROM journal_entries p JOIN journal_lines l ON l.entry_id = p.entry_id
                WHERE p.kind = 'Pending' AND p.created_at < @to AND l.account = @hold
                  AND NOT EXISTS (SELECT 1 FROM journal_entries r WHERE r.resolves_entry_id = p.entry_id AND r.created_at < @to)
                """, new { to, hold = accounts.Hold.Value }, tx) ?? 0;
            var totals = new Totals(
                CashReceipts: M(Sum(l => l.Key.StartsWith("payment:", StringComparison.Ordinal) && l.Key.EndsWith(":receipt", StringComparison.Ordinal) && l.Account == accounts.Cash.Value)),
                HoldsPosted: M(Sum(l => l.Kind == "Post" && l.Account == accounts.Hold.Value)),
                HoldsVoided: M(Sum(l => l.Kind == "Void" && l.Account == accounts.Hold.Value)),
                OpenHoldsAtMonthEnd: M(-openHoldsAtEnd),
                Refunds: M(-Sum(l => l.Account == accounts.RefundsPayable.Value && l.Amount < 0)),
                WriteOffs: M(Sum(l => l.Account == accounts.WriteOffs.Value && l.Amount > 0)),
                CreditsOnAccount: M(-Sum(l => l.Account == accounts.MemberCredit.Value && l.Amount < 0)),
                RevenueRecognised: M(-Sum(l => l.Key.StartsWith("revenue-close:", StringComparison.Ordinal) && l.Account == accounts.DuesRevenue.Value)));

            var payments = (await c.QueryAsync<(string Id, string? Reference, string Currency, long Amount, string Received)>(
                "SELECT payment_id, reference, currency, amount_minor, received_at FROM payments WHERE received_at >= @from AND received_at < @to ORDER BY received_at, payment_id",
                new { from, to }, tx)).ToList();
            var receiptKeys = (await c.QueryAsync<string>(
                "SELECT idempotency_key FROM journal_entries WHERE idempotency_key LIKE 'payment:%:receipt'", transaction: tx)).ToHashSet(StringComparer.Ordinal);
            var differences = new List<Difference>();
            foreach (var p in payments.Where(p => !receiptKeys.Contains($"payment:{p.Id}:receipt")))
                differences.Add(new Difference(DifferenceKind.PaymentWithoutReceiptEntry, "ledger", p.Id, Money.FromMinor(p.Amount, Currency.Parse(p.Currency)), null,
                    "received but no cash receipt entry in the journal"));

            foreach (var source in request.External.GroupBy(e => e.Source, StringComparer.Ordinal))
            {
                var unmatched = source.ToList();
                foreach (var p in payments)
                {
                    var ours = Money.FromMinor(p.Amount, Currency.Parse(p.Currency));
                    var match = unmatched.FirstOrDefault(e => e.Reference == p.Id || (p.Reference is not null && e.Reference == p.Reference));
                    if (match is null)
                    {
                        differences.Add(new Difference(DifferenceKind.MissingFromExternal, source.Key, p.Reference ?? p.Id, ours, null, $"payment {p.Id} is not in the {source.Key} list"));
                        continue;
                    }

                    unmatched.Remove(match);
                    if (match.Amount != ours)
                        differences.Add(new Difference(DifferenceKind.AmountDiffers, source.Key, match.Reference, ours, match.Amount, $"payment {p.Id}: ours {ours.ToPlainString()}, {source.Key} {match.Amount.ToPlainString()}"));
                    if (BillingMonth.Of(match.Date) != month)
                        differences.Add(new Difference(DifferenceKind.DateInOtherMonth, source.Key, match.Reference, ours, match.Amount, $"{source.Key} dates it {match.Date:yyyy-MM-dd}"));
                }

                foreach (var e in unmatched.Where(e => BillingMonth.Of(e.Date) == month))
                    differences.Add(new Difference(DifferenceKind.MissingFromDuesPilot, source.Key, e.Reference, null, e.Amount, $"{source.Key} line dated {e.Date:yyyy-MM-dd} matches no payment"));
            }

            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "reconciliation.drafted", $"month:{month}",
                string.Create(CultureInfo.InvariantCulture, $"draft of {draftLines.Count} lines, {differences.Count} difference(s); not posted (staff approve and post)")));
            return new Draft(month, draftLines, totals, differences, payments.Count);
        }, ct);

    private static string Categorise(string kind, string key, List<(string Account, long Amount)> lines, ChartOfAccounts accounts)
    {
        bool Touches(AccountCode a) => lines.Any(l => l.Account == a.Value);
        return kind switch
        {
            "Pending" => "holds placed",
            "Post" => "holds posted",
            "Void" => "holds voided",
            "Reversal" => "reversals",
            _ when key.StartsWith("payment:", StringComparison.Ordinal) && key.EndsWith(":receipt", StringComparison.Ordinal) => "cash receipts",
            _ when key.StartsWith("revenue-close:", StringComparison.Ordinal) => "revenue recognised",
            _ when Touches(accounts.RefundsPayable) => "refunds",
            _ when Touches(accounts.WriteOffs) => "write-offs",
            _ when Touches(accounts.MemberCredit) => "credits on account",
            _ when key.StartsWith("revenue-event:", StringComparison.Ordinal) => "dues deferred",
            _ => "other",
        };
    }
}
