using System.Globalization;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Persistence;

namespace DuesPilot.Features.Invoicing;

/// <summary>How many review items a run created, changed, or found already up to date.</summary>
public sealed record RecordedFindings(int Created, int Updated, int Unchanged);

/// <summary>
/// Turns flagged invoices into review items (<c>review_items</c>, kind <c>invoice</c>, subject the
/// invoice id) with an idempotent upsert: running the same validation twice leaves one item per invoice
/// and changes nothing the second time. A resolved item is left alone. Each created or changed item
/// writes an audit event in the same transaction.
/// </summary>
public static class RecordInvoiceFindings
{
    public const string ReviewKind = "invoice";
    public const string RuleVersion = "invoice-validation/1";
    private const int BatchSize = 500;

    public static async Task<RecordedFindings> HandleAsync(Store store, TimeProvider clock, string policyName, IReadOnlyList<InvoiceReview> reviews, CancellationToken ct = default)
    {
        int created = 0, updated = 0, unchanged = 0;
        for (var start = 0; start < reviews.Count; start += BatchSize)
        {
            var slice = reviews.Skip(start).Take(BatchSize).ToArray();
            var (c, u, n) = await store.InTransactionAsync(async (conn, tx) =>
            {
                int c1 = 0, u1 = 0, n1 = 0;
                foreach (var review in slice)
                {
                    var now = DbTime.Format(clock.GetUtcNow());
                    var proposedId = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D");
                    var top = review.Findings.OrderByDescending(f => f.AtStake.MinorUnits * f.Likelihood).First();
                    var analysis = Analysis(review);
                    var itemId = await conn.QuerySingleOrDefaultAsync<string?>(
                        """
                        INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, confidence, suggested_action, reason, analysis, amount_minor, currency, created_at, updated_at)
                        VALUES (@ItemId, @Kind, @Subject, @MemberId, 'open', @Priority, @Confidence, @Action, @Reason, @Analysis, @Amount, @Currency, @Now, @Now)
                        ON CONFLICT (kind, subject_id) DO UPDATE SET priority = excluded.priority, confidence = excluded.confidence,
                            suggested_action = excluded.suggested_action, reason = excluded.reason, analysis = excluded.analysis,
                            amount_minor = excluded.amount_minor, currency = excluded.currency, updated_at = excluded.updated_at
                        WHERE review_items.resolved_at IS NULL AND review_items.analysis <> excluded.analysis
                        RETURNING item_id
                        """,
                        new
                        {
                            ItemId = proposedId,
                            Kind = ReviewKind,
                            Subject = review.Invoice.Id.Value,
                            MemberId = review.Invoice.MemberId.Value,
                            Priority = review.QueuePriority,
                            Confidence = review.Findings.Max(f => f.Likelihood).ToString("0.00", CultureInfo.InvariantCulture),
                            Action = SuggestedAction(top),
                            Reason = string.Join("; ", review.Findings.Select(f => $"{f.Kind}: expected {f.Expected.ToPlainString()}, actual {f.Actual.ToPlainString()}")),
                            Analysis = analysis,
                            Amount = review.Findings.Sum(f => f.AtStake.MinorUnits),
                            Currency = review.Invoice.Amount.Currency.Code,
                            Now = now,
                        }, tx);
                    if (itemId is null) { n1++; continue; }
                    var isNew = itemId == proposedId;
                    if (isNew) c1++; else u1++;
                    await AuditTrail.AppendAsync(conn, tx, clock, new AuditEvent("duespilot", isNew ? "invoice.flagged" : "invoice.reflagged", $"invoice:{review.Invoice.Id.Value}",
                        $"review priority {review.QueuePriority} ({Money.FromMinor(review.PriorityCents, review.Invoice.Amount.Currency).ToDisplayString()} expected at stake)", review.Invoice.MemberId.Value, analysis, $"{RuleVersion} policy:{policyName}"));
                }

                return (c1, u1, n1);
            }, ct);
            created += c;
            updated += u;
            unchanged += n;
        }

        return new RecordedFindings(created, updated, unchanged);
    }

    private static string SuggestedAction(InvoiceFinding f) => f.Kind switch
    {
        FindingKind.DuplicateInvoice => "Void the duplicate invoice before it is sent.",
        FindingKind.MissingTax or FindingKind.TaxMismatch => $"Add or correct the tax line: {f.Expected.ToDisplayString()}.",
        FindingKind.UnexpectedTax => "Remove the tax line.",
        FindingKind.ManualOverride => "Confirm the manual price with the approver or restore the policy price.",
        FindingKind.UnknownMember or FindingKind.UnknownTier => "Check the member record in iMIS.",
        _ => $"Correct line {f.LineNo} to {f.Expected.ToDisplayString()}.",
    };

    private static string Analysis(InvoiceReview review) => JsonSerializer.Serialize(new
    {
        invoice = review.Invoice.Id.Value,
        member = review.Invoice.MemberId.Value,
        priority_cents = review.PriorityCents,
        findings = review.Findings.Select(f => new
        {
            kind = f.Kind.ToString(),
            line = f.LineNo,
            expected = f.Expected.ToPlainString(),
            actual = f.Actual.ToPlainString(),
            at_stake = f.AtStake.ToPlainString(),
            likelihood = f.Likelihood,
            explanation = f.Explanation,
        }),
    });

    /// <summary>Writes findings as CSV: one row per finding, the worst invoices first.</summary>
    public static void WriteCsv(TextWriter writer, IReadOnlyList<InvoiceReview> reviews)
    {
        writer.WriteLine("invoice_id,member_id,line,kind,expected,actual,at_stake,likelihood,priority_cents,explanation");
        foreach (var r in reviews)
            foreach (var f in r.Findings)
                writer.WriteLine(CsvTable.Line(f.InvoiceId.Value, f.MemberId.Value, f.LineNo?.ToString(CultureInfo.InvariantCulture), f.Kind.ToString(),
                    f.Expected.ToPlainString(), f.Actual.ToPlainString(), f.AtStake.ToPlainString(), f.Likelihood.ToString("0.00", CultureInfo.InvariantCulture),
                    r.PriorityCents.ToString(CultureInfo.InvariantCulture), f.Explanation));
    }
}
