using System.Globalization;
using System.Text;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.Collections.Risk;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Collections.Dunning;

/// <summary>
/// One dunning pass over every open overdue invoice: pick the stage its days overdue and risk segment call for,
/// apply the stop rules, and send the stage's message, or escalate the account to staff as a review item.
/// </summary>
/// <remarks>
/// <para>Order of the rules, per invoice: paid (balance 0: never selected) → disputed → in an active payment plan →
/// already escalated in this cycle → escalate (high value, or high risk long enough) → stage for the days and
/// segment → stage already done → channel opted out / no consent → quiet hours → cadence. Only the latest stage
/// that applies is sent; a stage missed (say, during quiet hours for days) is skipped rather than sent late.</para>
/// <para>Cycles: when a payment plan covering the invoice defaults, the invoice re-enters dunning in a new cycle
/// (cycle = number of defaulted plans covering it), so its stages can be sent again.</para>
/// <para>At most once: the action row (unique per invoice, stage, cycle) is claimed before the message goes out and
/// removed again if sending fails, so a rerun never sends a stage twice and a failed send is retried next run.</para>
/// </remarks>
public static class RunDunning
{
    public enum ActionKind
    {
        Sent,
        Escalated,
        SkippedDisputed,
        SkippedInPlan,
        SkippedEscalatedEarlier,
        SkippedNoStage,
        SkippedAlreadySent,
        SkippedOptedOut,
        SkippedNoContact,
        SkippedQuietHours,
        SkippedCadence,
        SendFailed,
    }

    public sealed record Action(string InvoiceId, string MemberId, ActionKind Kind, string? Stage, DunningChannel? Channel, RiskScore? Risk, string Detail);

    /// <param name="ScoredBy">The risk scorer's version: the trained model, history rates or the bands fallback.</param>
    /// <param name="DryRun">Nothing was sent, escalated or recorded: <see cref="ActionKind.Sent"/> and <see cref="ActionKind.Escalated"/> say what would be.</param>
    public sealed record Outcome(DateTimeOffset RanAt, IReadOnlyList<Action> Actions, string ScoredBy = "", bool DryRun = false)
    {
        public int Count(ActionKind kind) => Actions.Count(a => a.Kind == kind);
    }

    /// <param name="Senders">One per channel; a channel without a sender is treated as no contact.</param>
    public sealed record Context(DunningPolicy Policy, IRiskScorer Scorer, IReadOnlyList<IMessageSender> Senders, IMessageRephraser Rephraser);

    /// <param name="dryRun">Decide every invoice as a real run would on the clock's day, but send, escalate and record nothing: a preview.</param>
    public static async Task<Outcome> HandleAsync(Store store, TimeProvider clock, Context context, int limit = 5000, bool dryRun = false, CancellationToken ct = default)
    {
        var policy = context.Policy;
        var now = clock.GetUtcNow();
        var zone = policy.ZoneOr(BusinessClock.Of(clock).Zone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var today = DateOnly.FromDateTime(local.DateTime);
        var quiet = policy.QuietHours?.Contains(TimeOnly.FromDateTime(local.DateTime)) == true;
        var facts = await RiskFacts.LoadAsync(store, zone, ct);
        // No trained model: the fallback calibrates on the association's own history when there is enough of it.
        var scorer = ScoreOverdueAccounts.Calibrate(context.Scorer, facts, today);
        var state = await LoadStateAsync(store, ct);
        var actions = new List<Action>();
        var messagedThisRun = new HashSet<string>(StringComparer.Ordinal);

        foreach (var invoice in facts.OverdueOn(today).Take(limit))
        {
            Action Note(ActionKind kind, string detail, string? stage = null, DunningChannel? channel = null, RiskScore? risk = null) =>
                new(invoice.InvoiceId, invoice.MemberId, kind, stage, channel, risk, detail);

            if (state.Disputed.Contains(invoice.InvoiceId))
            {
                actions.Add(Note(ActionKind.SkippedDisputed, "invoice disputed"));
                continue;
            }

            if (state.InActivePlan.Contains(invoice.InvoiceId))
            {
                actions.Add(Note(ActionKind.SkippedInPlan, "in an active payment plan"));
                continue;
            }

            var cycle = state.DefaultedPlans.GetValueOrDefault(invoice.InvoiceId);
            var done = state.Done.GetValueOrDefault((invoice.InvoiceId, cycle)) ?? [];
            if (done.Contains(EscalationStage))
            {
                actions.Add(Note(ActionKind.SkippedEscalatedEarlier, "with staff since escalation"));
                continue;
            }

            var features = facts.FeaturesAt(invoice, today);
            var score = scorer.Score(features);
            var segment = policy.SegmentOf(score);
            score = score with { Segment = segment };
            var currency = Currency.Parse(invoice.Currency);
            var balance = Money.FromMinor(invoice.BalanceMinor, currency);
            var days = features.DaysOverdue;

            var highValue = balance >= policy.EscalationAmount(balance.Currency);
            var highRisk = policy.Escalation.EscalateHighRisk && segment == RiskSegment.High && days >= policy.Escalation.HighRiskAfterDays;
            if (highValue || highRisk)
            {
                var reason = highValue ? $"open balance {balance.ToDisplayString()} at or above {policy.EscalationAmount(balance.Currency).ToDisplayString()}"
                    : $"high risk: {score.Probability * 100:F0}% chance of payment within 30 days, {MessageTemplates.DaysText(days)} overdue";
                if (!dryRun) await EscalateAsync(store, clock, facts, invoice, features, score, cycle, reason, policy, ct);
                actions.Add(Note(ActionKind.Escalated, dryRun ? "would escalate: " + reason : reason, EscalationStage, null, score));
                continue;
            }

            var stage = policy.Stages.Where(s => s.DaysOverdue <= days && s.Segments.Contains(segment)).OrderByDescending(s => s.DaysOverdue).FirstOrDefault();
            if (stage is null)
            {
                actions.Add(Note(ActionKind.SkippedNoStage, $"no stage for {MessageTemplates.DaysText(days)} overdue, {segment} risk", risk: score));
                continue;
            }

            if (done.Contains(stage.Name))
            {
                actions.Add(Note(ActionKind.SkippedAlreadySent, $"{stage.Name} already sent", stage.Name, stage.Channel, score));
                continue;
            }

            var optedOut = state.OptOuts.GetValueOrDefault(invoice.MemberId) ?? [];
            if (optedOut.Contains("all") || optedOut.Contains(ChannelCode(stage.Channel)))
            {
                actions.Add(Note(ActionKind.SkippedOptedOut, $"member opted out of {ChannelCode(stage.Channel)}", stage.Name, stage.Channel, score));
                continue;
            }

            var member = state.Members.GetValueOrDefault(invoice.MemberId);
            var to = stage.Channel == DunningChannel.Email ? member?.Email : state.SmsNumbers.GetValueOrDefault(invoice.MemberId);
            var sender = context.Senders.FirstOrDefault(s => s.Channel == stage.Channel);
            if (string.IsNullOrWhiteSpace(to) || sender is null)
            {
                actions.Add(Note(ActionKind.SkippedNoContact, stage.Channel == DunningChannel.Sms ? "no phone with SMS consent, or no SMS provider" : "no e-mail address, or no SMTP", stage.Name, stage.Channel, score));
                continue;
            }

            if (quiet)
            {
                actions.Add(Note(ActionKind.SkippedQuietHours, $"quiet hours {policy.QuietHours!.Start:HH\\:mm}–{policy.QuietHours.End:HH\\:mm} {zone.Id}", stage.Name, stage.Channel, score));
                continue;
            }

            var last = state.LastMessage.GetValueOrDefault(invoice.MemberId);
            if (messagedThisRun.Contains(invoice.MemberId) || (last is { } l && l.AddDays(policy.MinimumDaysBetweenMessages) > now))
            {
                actions.Add(Note(ActionKind.SkippedCadence, $"at most one message every {policy.MinimumDaysBetweenMessages} days", stage.Name, stage.Channel, score));
                continue;
            }

            var messageFacts = new MessageFacts(invoice.MemberId, member?.FirstName ?? member?.FullName ?? "member", member?.FullName ?? "", features.Tier, invoice.InvoiceId,
                Money.FromMinor(invoice.AmountMinor, currency).ToDisplayString(), balance.ToDisplayString(), invoice.DueDate.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture),
                days, policy.AssociationName, policy.PayUrl);
            var subject = stage.Channel == DunningChannel.Email ? MessageTemplates.Render(stage.Subject, messageFacts) : "";
            if (dryRun)
            {
                messagedThisRun.Add(invoice.MemberId);
                actions.Add(Note(ActionKind.Sent, $"would send {stage.Name} by {ChannelCode(stage.Channel)} to {to}{(subject.Length > 0 ? ": " + subject : "")}", stage.Name, stage.Channel, score));
                continue;
            }

            var body = await context.Rephraser.RephraseAsync(MessageTemplates.Render(stage.Template, messageFacts), messageFacts, stage.Channel, ct);
            var actionId = Guid.CreateVersion7(now).ToString("D");
            var claimed = await ClaimAsync(store, actionId, invoice, stage, cycle, to, subject, body, score, clock, ct);
            if (!claimed)
            {
                actions.Add(Note(ActionKind.SkippedAlreadySent, $"{stage.Name} claimed by another run", stage.Name, stage.Channel, score));
                continue;
            }

            var result = await sender.SendAsync(new OutgoingMessage(stage.Channel, to, subject, body, $"{invoice.InvoiceId}/{stage.Name}/{cycle}"), ct);
            await FinishAsync(store, clock, actionId, invoice, stage, result, policy, context.Rephraser, score, ct);
            if (result.Sent) messagedThisRun.Add(invoice.MemberId);
            actions.Add(Note(result.Sent ? ActionKind.Sent : ActionKind.SendFailed, result.Detail, stage.Name, stage.Channel, score));
        }

        return new Outcome(now, actions, scorer.Version, dryRun);
    }

    /// <summary>The stage name under which an escalation is recorded, so it happens once per cycle.</summary>
    public const string EscalationStage = "escalation";

    private static string ChannelCode(DunningChannel c) => c == DunningChannel.Email ? "email" : "sms";

    private sealed record MemberRow(string Id, string FullName, string? FirstName, string? Email);

    private sealed record State(
        HashSet<string> Disputed,
        HashSet<string> InActivePlan,
        Dictionary<string, int> DefaultedPlans,
        Dictionary<(string Invoice, int Cycle), HashSet<string>> Done,
        Dictionary<string, HashSet<string>> OptOuts,
        Dictionary<string, string> SmsNumbers,
        Dictionary<string, DateTimeOffset> LastMessage,
        Dictionary<string, MemberRow> Members);

    private static Task<State> LoadStateAsync(Store store, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var disputed = (await c.QueryAsync<string>("SELECT invoice_id FROM collections_disputes WHERE resolved_at IS NULL", transaction: tx)).ToHashSet(StringComparer.Ordinal);
            var plans = (await c.QueryAsync<(string Invoice, string State)>(
                "SELECT pi.invoice_id, p.state FROM payment_plan_invoices pi JOIN payment_plans p ON p.plan_id = pi.plan_id", transaction: tx)).ToList();
            var done = (await c.QueryAsync<(string Invoice, long Cycle, string Stage)>("SELECT invoice_id, CAST(cycle AS BIGINT), stage FROM dunning_actions", transaction: tx))
                .GroupBy(d => (d.Invoice, (int)d.Cycle)).ToDictionary(g => g.Key, g => g.Select(d => d.Stage).ToHashSet(StringComparer.Ordinal));
            var optOuts = (await c.QueryAsync<(string Member, string Channel)>("SELECT member_id, channel FROM collections_opt_outs", transaction: tx))
                .GroupBy(o => o.Member, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(o => o.Channel).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
            var sms = (await c.QueryAsync<(string Member, string Phone)>("SELECT member_id, phone FROM collections_contacts WHERE sms_consent = 1", transaction: tx))
                .ToDictionary(s => s.Member, s => s.Phone, StringComparer.Ordinal);
            var last = (await c.QueryAsync<(string Member, string At)>(
                    "SELECT member_id, MAX(created_at) FROM dunning_actions WHERE action IN ('email', 'sms') GROUP BY member_id", transaction: tx))
                .ToDictionary(l => l.Member, l => DbTime.ParseInstant(l.At), StringComparer.Ordinal);
            var members = (await c.QueryAsync<(string Id, string FullName, string? FirstName, string? Email)>("SELECT member_id, full_name, first_name, email FROM members", transaction: tx))
                .ToDictionary(m => m.Id, m => new MemberRow(m.Id, m.FullName, m.FirstName, m.Email), StringComparer.Ordinal);
            return new State(disputed,
                plans.Where(p => p.State == "Active").Select(p => p.Invoice).ToHashSet(StringComparer.Ordinal),
                plans.Where(p => p.State == "Defaulted").GroupBy(p => p.Invoice, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                done, optOuts, sms, last, members);
        }, ct);

    private static Task<bool> ClaimAsync(Store store, string actionId, RiskFacts.InvoiceFact invoice, DunningStage stage, int cycle, string to, string subject, string body, RiskScore score, TimeProvider clock, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var inserted = await c.ExecuteAsync(
                """
                INSERT INTO dunning_actions (action_id, invoice_id, member_id, stage, cycle, action, recipient, subject, body, risk, risk_source, outcome, created_at)
                VALUES (@actionId, @invoice, @member, @stage, @cycle, @action, @to, @subject, @body, @risk, @source, 'sending', @at)
                ON CONFLICT (invoice_id, stage, cycle) DO NOTHING
                """,
                new
                {
                    actionId, invoice = invoice.InvoiceId, member = invoice.MemberId, stage = stage.Name, cycle, action = ChannelCode(stage.Channel), to, subject, body,
                    risk = score.Probability.ToString("F4", CultureInfo.InvariantCulture), source = score.Source, at = DbTime.Format(clock.GetUtcNow()),
                }, tx);
            return inserted == 1;
        }, ct);

    private static Task FinishAsync(Store store, TimeProvider clock, string actionId, RiskFacts.InvoiceFact invoice, DunningStage stage, SendResult result, DunningPolicy policy, IMessageRephraser rephraser, RiskScore score, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            if (result.Sent)
                await c.ExecuteAsync("UPDATE dunning_actions SET outcome = @o WHERE action_id = @actionId", new { o = "sent: " + Truncate(result.Detail, 200), actionId }, tx);
            else
                await c.ExecuteAsync("DELETE FROM dunning_actions WHERE action_id = @actionId", new { actionId }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", result.Sent ? "dunning.sent" : "dunning.send-failed", $"invoice:{invoice.InvoiceId}",
                $"{stage.Name} by {ChannelCode(stage.Channel)}: {Truncate(result.Detail, 200)}", invoice.MemberId,
                Inputs: $"risk {score.Probability:F3} ({score.Segment})", RuleVersion: $"{policy.Version}; {score.Source}; {rephraser.Version}"));
        }, ct);

    private static Task EscalateAsync(Store store, TimeProvider clock, RiskFacts facts, RiskFacts.InvoiceFact invoice, RiskFeatures features, RiskScore score, int cycle, string reason, DunningPolicy policy, CancellationToken ct) =>
        store.InTransactionAsync(async (c, tx) =>
        {
            var now = DbTime.Format(clock.GetUtcNow());
            var inserted = await c.ExecuteAsync(
                """
                INSERT INTO dunning_actions (action_id, invoice_id, member_id, stage, cycle, action, recipient, subject, body, risk, risk_source, outcome, created_at)
                VALUES (@id, @invoice, @member, @stage, @cycle, 'escalated', NULL, NULL, NULL, @risk, @source, 'review item opened', @now)
                ON CONFLICT (invoice_id, stage, cycle) DO NOTHING
                """,
                new { id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), invoice = invoice.InvoiceId, member = invoice.MemberId, stage = EscalationStage, cycle,
                    risk = score.Probability.ToString("F4", CultureInfo.InvariantCulture), source = score.Source, now }, tx);
            if (inserted == 0) return;
            var summary = PaymentHistorySummary(facts, invoice, features, score);
            await c.ExecuteAsync(
                """
                INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, confidence, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
                VALUES (@id, 'collections', @subject, @member, 'open', @priority, @confidence, @suggested, @reason, @analysis, @amount, @currency, @now, @now)
                ON CONFLICT (kind, subject_id) DO NOTHING
                """,
                new
                {
                    id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"),
                    subject = $"{invoice.InvoiceId}#{cycle}",
                    member = invoice.MemberId,
                    priority = Priority(invoice.BalanceMinor, score.Probability),
                    confidence = score.Probability.ToString("F4", CultureInfo.InvariantCulture),
                    suggested = "Call the member; offer a payment plan (duespilot collections plan) or agree a date.",
                    reason,
                    analysis = summary,
                    amount = invoice.BalanceMinor,
                    currency = invoice.Currency,
                    now,
                }, tx);
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent("duespilot", "dunning.escalated", $"invoice:{invoice.InvoiceId}", reason, invoice.MemberId,
                Inputs: features.Describe(), RuleVersion: $"{policy.Version}; {score.Source}"));
        }, ct);

    /// <summary>Priority 0–100: bigger balances and lower chances of payment first.</summary>
    private static int Priority(long balanceMinor, double probability) =>
        (int)Math.Clamp(Math.Round(50 * (1 - probability) + Math.Min(50, balanceMinor / 10_000.0 * 5)), 0, 100);

    /// <summary>The payment-history summary staff see on the review item instead of an automated message.</summary>
    public static string PaymentHistorySummary(RiskFacts facts, RiskFacts.InvoiceFact invoice, RiskFeatures features, RiskScore score)
    {
        var sb = new StringBuilder();
        var currency = Currency.Parse(invoice.Currency);
        var theirs = facts.Invoices.Where(i => i.MemberId == invoice.MemberId).OrderBy(i => i.DueDate).ToList();
        var paidLate = theirs.Where(i => i.PaidInFull is { } p && p > i.DueDate).ToList();
        var open = theirs.Where(i => i.BalanceMinor > 0).ToList();
        sb.Append(CultureInfo.InvariantCulture, $"Member {invoice.MemberId}, tier {features.Tier}, {features.TenureYears:F1} years a member.\n");
        sb.Append(CultureInfo.InvariantCulture, $"Invoices on file: {theirs.Count}; paid on time: {theirs.Count(i => i.PaidInFull is { } p && p <= i.DueDate)}; paid late: {paidLate.Count}");
        if (paidLate.Count > 0) sb.Append(CultureInfo.InvariantCulture, $" (on average {paidLate.Average(i => i.PaidInFull!.Value.DayNumber - i.DueDate.DayNumber):F0} days late)");
        sb.Append(CultureInfo.InvariantCulture, $"; open: {open.Count}, totalling {Money.FromMinor(open.Sum(i => i.BalanceMinor), currency).ToDisplayString()}.\n");
        var lastPaid = theirs.Where(i => i.PaidInFull is not null).MaxBy(i => i.PaidInFull);
        if (lastPaid is not null)
            sb.Append(CultureInfo.InvariantCulture, $"Last payment: {Money.FromMinor(lastPaid.AmountMinor, currency).ToDisplayString()} for {lastPaid.InvoiceId} on {lastPaid.PaidInFull:yyyy-MM-dd}, usual channel {features.Channel}.\n");
        else
            sb.Append("No payment on file.\n");
        sb.Append(CultureInfo.InvariantCulture, $"Dunning so far: {features.PriorDunningResponses} message(s) answered by payment within 14 days, {features.PriorDunningIgnored} not.\n");
        sb.Append(CultureInfo.InvariantCulture, $"This invoice: {invoice.InvoiceId}, {Money.FromMinor(invoice.BalanceMinor, currency).ToDisplayString()} open, due {invoice.DueDate:yyyy-MM-dd}, {MessageTemplates.DaysText(features.DaysOverdue)} overdue.\n");
        sb.Append(CultureInfo.InvariantCulture, $"Risk: {score.Probability * 100:F0}% chance of payment within 30 days ({score.Segment}), scored by {score.Source}.");
        return sb.ToString();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
