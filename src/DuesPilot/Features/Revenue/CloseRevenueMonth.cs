using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Revenue;

/// <summary>
/// The monthly close: recognises the month's share of every term's deferred dues with one journal entry
/// (Dr deferred dues, Cr dues revenue) and keeps each term's share, with its tier, for the board's reports.
/// </summary>
/// <remarks>
/// A month closes once per currency, and only right after that currency's previous one (the first close is
/// the month its earliest term starts, or an opening month given with a reason; a fresh book has none, so nothing
/// can be closed). An administrator can reopen closed months (<see cref="ReopenRevenueMonth"/>); they close again in order. Both rules are kept by the store: the month is the close table's key and the previous
/// month is unique in it, so a second run, or two instances racing, cannot close twice or skip a month.
/// A month that has not ended by the injected clock cannot be closed yet.
/// </remarks>
public static class CloseRevenueMonth
{
    /// <param name="Currency">Close only this currency's books; null: every currency the book holds terms in.</param>
    /// <param name="OpeningReason">Makes <see cref="Month"/> the opening month: the first close of a book whose earlier months
    /// were closed elsewhere (say, in the previous system), later than the month the earliest term starts. Needs a reason,
    /// kept in the audit log; refused once the currency has a close.</param>
    public sealed record Request(BillingMonth Month, string Actor = "duespilot", Currency? Currency = null, string? OpeningReason = null)
    {
        public bool IsOpening => OpeningReason is not null;
    }

    public enum Result
    {
        /// <summary>Closed now: recognition entry written (none when nothing was due).</summary>
        Closed,
        /// <summary>The month was closed before; nothing written. Running the job again is safe.</summary>
        AlreadyClosed,
        /// <summary>The month is not the next one to close (see <see cref="Outcome.ExpectedMonth"/>).</summary>
        OutOfOrder,
        /// <summary>The month has not ended yet.</summary>
        MonthNotEnded,
        /// <summary>No dues term is recorded (a fresh book): no month can be closed yet.</summary>
        NothingToClose,
        /// <summary>An opening month was asked for where it cannot be: the currency has closes already, the month is before its
        /// earliest term, or no reason was given.</summary>
        OpeningRefused,
    }

    /// <param name="ExpectedMonth">The month that can be closed next, when there is one.</param>
    public sealed record Outcome(Result Result, BillingMonth Month, Money Recognised, int Terms, EntryId? EntryId, BillingMonth? ExpectedMonth, string? Detail = null)
    {
        /// <summary>With terms in several currencies: each currency's own outcome (this one is the first that closed, else the first).</summary>
        public IReadOnlyList<Outcome> PerCurrency { get; init; } = [];
    }

    /// <summary>Rows written per INSERT statement: large enough to be fast, small enough for both engines' parameter limits.</summary>
    private const int InsertBatch = 200;

    public static Task<Outcome> HandleAsync(Store store, TimeProvider clock, ChartOfAccounts accounts, Request request, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => HandleAsync(c, tx, clock, accounts, request), ct);

    /// <summary>The month that can be closed next: after the last close, or the month the earliest term starts.</summary>
    public static Task<BillingMonth?> NextMonthToCloseAsync(Store store, CancellationToken ct = default) =>
        store.InTransactionAsync((c, tx) => NextMonthToCloseAsync(c, tx), ct);

    public static async Task<BillingMonth?> NextMonthToCloseAsync(DbConnection c, DbTransaction tx)
    {
        BillingMonth? next = null;
        foreach (var currency in await TermCurrenciesAsync(c, tx))
        {
            if (await NextMonthToCloseAsync(c, tx, currency) is { } m && (next is null || m.CompareTo(next.Value) < 0)) next = m;
        }

        return next;
    }

    /// <summary>The month that can be closed next in one currency: after its last close, or the month its earliest term starts.</summary>
    public static async Task<BillingMonth?> NextMonthToCloseAsync(DbConnection c, DbTransaction tx, Currency currency)
    {
        var last = await c.ExecuteScalarAsync<string?>("SELECT MAX(month) FROM revenue_closes WHERE currency = @cur", new { cur = currency.Code }, tx);
        if (last is not null) return BillingMonth.Parse(last).Next();
        var earliest = await c.ExecuteScalarAsync<string?>("SELECT MIN(service_start) FROM revenue_terms WHERE currency = @cur", new { cur = currency.Code }, tx);
        return earliest is null ? null : BillingMonth.Of(DbTime.ParseDate(earliest));
    }

    private static async Task<List<Currency>> TermCurrenciesAsync(DbConnection c, DbTransaction tx) =>
        (await c.QueryAsync<string>("SELECT DISTINCT currency FROM revenue_terms ORDER BY currency", transaction: tx)).Select(Currency.Parse).ToList();

    /// <summary>
    /// Closes the month in each currency the book holds terms in (or only <see cref="Request.Currency"/>): each
    /// currency has its own books, its own first month and its own order, so one never holds up another.
    /// </summary>
    public static async Task<Outcome> HandleAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, Request request)
    {
        await RevenueStore.LockAsync(c, tx);
        var currencies = request.Currency is { } only ? [only] : await TermCurrenciesAsync(c, tx);
        if (currencies.Count == 0)
        {
            // A fresh book has no first month: closing one would lock every month before it for good.
            return new Outcome(Result.NothingToClose, request.Month, Money.Zero(Currency.USD), 0, null, null,
                $"no dues term is recorded, so there is nothing to recognise in {request.Month}; the first close is the month the earliest term starts");
        }

        var outcomes = new List<Outcome>();
        foreach (var currency in currencies) outcomes.Add(await CloseAsync(c, tx, clock, accounts, request, currency));
        if (outcomes.Count == 1) return outcomes[0];
        var head = outcomes.FirstOrDefault(o => o.Result == Result.Closed) ?? outcomes[0];
        return head with
        {
            PerCurrency = outcomes,
            Detail = string.Join("; ", outcomes.Select(o => $"{o.Recognised.Currency.Code}: {o.Result}{(o.Detail is null ? "" : " (" + o.Detail + ")")}")),
        };
    }

    private static async Task<Outcome> CloseAsync(DbConnection c, DbTransaction tx, TimeProvider clock, ChartOfAccounts accounts, Request request, Currency currency)
    {
        var month = request.Month;
        var none = Money.Zero(currency);
        var existing = (await c.QueryAsync<(string Currency, long Recognised, long Terms, string? Entry)>(
            "SELECT currency, recognised_minor, terms, entry_id FROM revenue_closes WHERE month = @m AND currency = @cur", new { m = month.ToString(), cur = currency.Code }, tx)).ToList();
        if (existing.Count > 0)
        {
            var done = existing[0];
            return new Outcome(Result.AlreadyClosed, month, Money.FromMinor(done.Recognised, currency), (int)done.Terms,
                done.Entry is null ? null : EntryId.Parse(done.Entry), await NextMonthToCloseAsync(c, tx, currency), $"{month} was closed before in {currency.Code}");
        }

        var expected = await NextMonthToCloseAsync(c, tx, currency);
        if (expected is null)
            return new Outcome(Result.NothingToClose, month, none, 0, null, null, $"no dues term in {currency.Code} is recorded");
        if (request.IsOpening)
        {
            var refused = await OpeningRefusalAsync(c, tx, request, currency, expected.Value);
            if (refused is not null) return new Outcome(Result.OpeningRefused, month, none, 0, null, expected, refused);
        }
        else if (expected is { } exp && exp != month)
        {
            return new Outcome(Result.OutOfOrder, month, none, 0, null, exp, $"the next month to close in {currency.Code} is {exp}, not {month}"
                + (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM revenue_closes WHERE currency = @cur", new { cur = currency.Code }, tx) == 0 && month.CompareTo(exp) > 0
                    ? $" (to start the books at {month}, give it as the opening month with a reason)"
                    : ""));
        }

        var today = Domain.BusinessClock.Of(clock).Today;
        if (month.Last >= today)
            return new Outcome(Result.MonthNotEnded, month, none, 0, null, expected, $"{month} ends on {month.Last:yyyy-MM-dd}; it can be closed from {month.Last.AddDays(1):yyyy-MM-dd}");

        var shares = (await ComputeSharesAsync(c, tx, month)).Where(s => s.Amount.Currency == currency).ToList();
        var total = Money.Sum(shares.Select(s => s.Amount), currency);

        EntryId? entryId = null;
        // Written now, dated the month's last day: the recognition belongs to the month it recognises.
        // A month reopened before closes again with new entries (the first ones stay, reversed).
        var reopened = await ReopenRevenueMonth.ReopenCountAsync(c, tx, month, currency);
        var suffix = reopened == 0 ? "" : $":r{reopened}";
        var caughtUp = Money.Sum(shares.Select(s => s.CatchUp), currency);
        var regular = total - caughtUp;
        if (regular.IsPositive)
        {
            var entry = JournalEntry.Standard(EntryId.New(clock), $"revenue-close:{month}:{currency.Code}" + suffix, clock.GetUtcNow(),
                $"Dues revenue recognised for {month} ({shares.Count} terms, {currency.Code})",
                [LedgerLine.Debit(accounts.DeferredDues, regular), LedgerLine.Credit(accounts.DuesRevenue, regular)]) with { EffectiveDate = month.Last };
            var booked = await Journal.RecordAsync(c, tx, entry);
            if (booked != LedgerResult.Created) throw new LedgerRuleException($"Revenue close {month} {currency.Code}: {booked.Describe()}");
            entryId = entry.Id;
        }

        // A term recorded after its first months were closed: one entry of its own, explained, for what those months would have recognised.
        foreach (var share in shares.Where(s => s.CatchUp.IsPositive))
        {
            var entry = JournalEntry.Standard(EntryId.New(clock), $"{CatchUpKeyPrefix(month, currency)}{share.TermId}{suffix}", clock.GetUtcNow(), share.CatchUpNote!,
                [LedgerLine.Debit(accounts.DeferredDues, share.CatchUp), LedgerLine.Credit(accounts.DuesRevenue, share.CatchUp)]) with { EffectiveDate = month.Last };
            var booked = await Journal.RecordAsync(c, tx, entry);
            if (booked != LedgerResult.Created) throw new LedgerRuleException($"Revenue catch-up {month} {currency.Code} {share.TermId}: {booked.Describe()}");
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "revenue.catch-up", $"revenue-term:{share.TermId}", share.CatchUpNote!, RuleVersion: "recognition-schedule/1"));
        }

        await InsertSharesAsync(c, tx, month, shares);
        await c.ExecuteAsync(
            """
            INSERT INTO revenue_closes (month, prev_month, currency, recognised_minor, terms, entry_id, closed_at, closed_by)
            VALUES (@month, @prev, @currency, @total, @terms, @entry, @at, @by)
            """,
            new
            {
                month = month.ToString(),
                prev = month.Previous().ToString(),
                currency = currency.Code,
                total = total.MinorUnits,
                terms = shares.Count,
                entry = entryId?.ToString(),
                at = DbTime.Format(clock.GetUtcNow()),
                by = request.Actor,
            }, tx);
        if (request.IsOpening)
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "revenue.opening-month", $"revenue-month:{month}:{currency.Code}",
                $"books opened at {month} in {currency.Code}; months before it are not recognised here", Inputs: request.OpeningReason));
        await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(request.Actor, "revenue.month-closed", $"revenue-month:{month}:{currency.Code}",
            $"recognised {total.ToDisplayString()} over {shares.Count} terms", RuleVersion: "recognition-schedule/1"));
        return new Outcome(Result.Closed, month, total, shares.Count, entryId, month.Next());
    }

    /// <summary>Idempotency keys of a month's catch-up entries start with this (then the term id).</summary>
    internal static string CatchUpKeyPrefix(BillingMonth month, Currency currency) => $"revenue-catch-up:{month}:{currency.Code}:";

    /// <summary>Why the month cannot be the opening month of the currency's books, or null when it can.</summary>
    private static async Task<string?> OpeningRefusalAsync(DbConnection c, DbTransaction tx, Request request, Currency currency, BillingMonth earliest)
    {
        if (string.IsNullOrWhiteSpace(request.OpeningReason)) return "an opening month needs a reason, kept in the audit log";
        var last = await c.ExecuteScalarAsync<string?>("SELECT MAX(month) FROM revenue_closes WHERE currency = @cur", new { cur = currency.Code }, tx);
        if (last is not null) return $"{currency.Code} books were opened before (last close {last}); the next month to close is {BillingMonth.Parse(last).Next()}";
        if (request.Month.CompareTo(earliest) < 0) return $"the earliest {currency.Code} term starts in {earliest}; the books cannot open before it";
        return null;
    }

    /// <param name="CatchUp">The part of <paramref name="Amount"/> that belongs to earlier, closed months of a term recorded late.</param>
    internal sealed record Share(string TermId, string Tier, Money Amount, Money CatchUp, string? CatchUpNote = null);

    /// <summary>Plans every term whose service touches the month and takes that month's share (non-zero only).</summary>
    internal static async Task<List<Share>> ComputeSharesAsync(DbConnection c, DbTransaction tx, BillingMonth month)
    {
        var rows = await c.QueryAsync<TermEventRow>(
            """
            SELECT t.term_id, t.member_id, t.currency AS term_currency, t.service_start, t.service_end, t.method, t.catch_up_month,
                   e.kind, e.effective_date, e.tier, e.currency, e.amount_minor
            FROM revenue_terms t JOIN revenue_events e ON e.term_id = t.term_id
            WHERE t.service_start <= @last AND t.service_end >= @first
            ORDER BY t.term_id, e.effective_date, e.event_id
            """,
            new { first = DbTime.Format(month.First), last = DbTime.Format(month.Last) }, tx);
        var shares = new List<Share>();
        DuesTerm? term = null;
        BillingMonth? catchUp = null;
        var events = new List<DuesEvent>();
        void Flush()
        {
            if (term is null) return;
            var onTime = RecognitionSchedule.Plan(term, events);
            if (!onTime.IsValid) throw new InvalidOperationException($"Stored events of term {term.TermId} cannot be planned: {onTime.Detail}");
            var plan = catchUp is { } from ? RecognitionSchedule.CatchUp(onTime, from) : onTime;
            var index = term.FirstMonth.MonthsUntil(month);
            var row = plan.Months[index];
            if (row.Recognised.IsZero) return;
            var own = onTime.Months[index].Recognised;
            var caughtUp = row.Recognised - own;
            shares.Add(caughtUp.IsZero
                ? new Share(term.TermId, row.Tier, row.Recognised, Money.Zero(term.Currency))
                : new Share(term.TermId, row.Tier, row.Recognised, caughtUp,
                    $"Catch-up for term {term.TermId} (member {term.MemberId}, service from {term.ServiceStart:yyyy-MM-dd}): recorded after {term.FirstMonth}..{month.Previous()} were closed, "
                    + $"so {month} recognises their {caughtUp.ToDisplayString()} with its own {own.ToDisplayString()}"));
        }

        foreach (var r in rows)
        {
            if (term?.TermId != r.term_id)
            {
                Flush();
                catchUp = r.catch_up_month is null ? null : BillingMonth.Parse(r.catch_up_month);
                term = new DuesTerm(r.term_id, new MemberId(r.member_id), DbTime.ParseDate(r.service_start), DbTime.ParseDate(r.service_end),
                    Enum.Parse<RecognitionMethod>(r.method), Currency.Parse(r.term_currency));
                events = [];
            }

            events.Add(new DuesEvent(Enum.Parse<DuesEventKind>(r.kind), DbTime.ParseDate(r.effective_date), r.tier, Money.FromMinor(r.amount_minor, Currency.Parse(r.currency))));
        }

        Flush();
        return shares;
    }

    private static async Task InsertSharesAsync(DbConnection c, DbTransaction tx, BillingMonth month, List<Share> shares)
    {
        var monthText = month.ToString();
        for (var start = 0; start < shares.Count; start += InsertBatch)
        {
            var count = Math.Min(InsertBatch, shares.Count - start);
            await using var command = c.CreateCommand();
            command.Transaction = tx;
            var sql = new StringBuilder("INSERT INTO revenue_recognitions (term_id, month, tier, currency, amount_minor) VALUES ");
            for (var i = 0; i < count; i++)
            {
                var s = shares[start + i];
                var n = i.ToString(CultureInfo.InvariantCulture);
                if (i > 0) sql.Append(',');
                sql.Append("(@t").Append(n).Append(",@m,@r").Append(n).Append(",@c").Append(n).Append(",@a").Append(n).Append(')');
                Add(command, "t" + n, s.TermId);
                Add(command, "r" + n, s.Tier);
                Add(command, "c" + n, s.Amount.Currency.Code);
                Add(command, "a" + n, s.Amount.MinorUnits);
            }

            Add(command, "m", monthText);
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync();
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

#pragma warning disable IDE1006 // Dapper rows mirror column names.
    private sealed class TermEventRow
    {
        public string term_id { get; set; } = "";
        public string member_id { get; set; } = "";
        public string term_currency { get; set; } = "";
        public string service_start { get; set; } = "";
        public string service_end { get; set; } = "";
        public string method { get; set; } = "";
        public string? catch_up_month { get; set; }
        public string kind { get; set; } = "";
        public string effective_date { get; set; } = "";
        public string tier { get; set; } = "";
        public string currency { get; set; } = "";
        public long amount_minor { get; set; }
    }
#pragma warning restore IDE1006
}
