using System.Globalization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DuesPilot.Web.Pages.Review;

public sealed record CandidateView(ReviewCandidate Candidate, Member? Member, IReadOnlyList<Invoice> OpenInvoices, IReadOnlyList<string> History);

public sealed class ItemModel(Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, StaffAccounts staff) : PageModel
{
    public ReviewItemView Item { get; private set; } = null!;
    public Payment? Payment { get; private set; }
    public string? PaymentState { get; private set; }
    public IReadOnlyList<Allocation> Applied { get; private set; } = [];
    public PersonView? Person { get; private set; }
    public InvoiceView? Invoice { get; private set; }
    public IReadOnlyList<FindingView> Findings { get; private set; } = [];
    public Money? ExpectedTotal { get; private set; }
    public PaymentEventView? PaymentEvent { get; private set; }
    public InquiryView? Inquiry { get; private set; }
    public string Headline { get; private set; } = "";
    public IReadOnlyList<CandidateView> Candidates { get; private set; } = [];
    public IReadOnlyList<ReviewEventView> History { get; private set; } = [];
    public IReadOnlyList<string> Colleagues { get; private set; } = [];
    public bool CanResolve { get; private set; }

    /// <summary>Free-text analysis (collections history, event notes) shown as written.</summary>
    public string? AnalysisNotes { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        var item = await ReviewQueue.FindAsync(store, id, ct);
        if (item is null) return NotFound();
        Item = item;
        CanResolve = User.ToActor().CanResolve;
        History = await ReviewQueue.HistoryAsync(store, id, ct);
        Colleagues = await staff.UserNamesAsync(ct);
        await store.InTransactionAsync(async (c, tx) =>
        {
            PaymentSummary? summary = null;
            if (ReviewItemDetails.PaymentIdOf(item) is { } paymentId)
            {
                Payment = await ReceivePayment.FindAsync(c, tx, new PaymentId(paymentId));
                PaymentState = await c.ExecuteScalarAsync<string?>("SELECT state FROM payments WHERE payment_id = @paymentId", new { paymentId }, tx);
                Applied = await ApplyPayment.StandingAllocationsAsync(c, tx, new PaymentId(paymentId));
                summary = (await ReviewItemDetails.PaymentsAsync(c, tx, [paymentId])).GetValueOrDefault(paymentId);
            }

            if (ReviewItemDetails.InvoiceIdOf(item) is { } invoiceId)
                Invoice = await ReviewItemDetails.InvoiceAsync(c, tx, invoiceId);
            var memberId = item.MemberId ?? Invoice?.MemberId ?? Applied.FirstOrDefault()?.MemberId.Value;
            Person = (await ReviewItemDetails.PeopleAsync(c, tx, [memberId])).GetValueOrDefault(memberId ?? "");
            if (item.Kind == ReviewKinds.Invoice)
            {
                Findings = ReviewItemDetails.Findings(item.AnalysisText);
                if (Invoice is not null) ExpectedTotal = ReviewItemDetails.ExpectedTotal(Invoice, Findings);
            }

            PaymentEvent = await ReviewItemDetails.PaymentEventAsync(c, tx, item);
            if (item.Kind == ReviewKinds.Inquiry) Inquiry = ReviewItemDetails.Inquiry(item.AnalysisText);
            if (item.Analysis is null && Findings.Count == 0 && Inquiry is null && !string.IsNullOrWhiteSpace(item.AnalysisText) && !item.AnalysisText.TrimStart().StartsWith('{'))
                AnalysisNotes = item.AnalysisText;
            Headline = ReviewItemDetails.Headline(item, summary, Person, Invoice);

            // Candidate members only where a payment waits to be applied.
            if (item.Kind == ReviewKinds.Payment)
            {
                var candidates = item.Analysis?.Candidates.ToList() ?? [];
                if (candidates.Count == 0 && item.MemberId is not null)
                    candidates.Add(new ReviewCandidate(item.MemberId, Person?.Name ?? item.MemberId, 0m, ["named on the item"], [], []));
                var views = new List<CandidateView>();
                foreach (var cand in candidates.Take(6))
                    views.Add(new CandidateView(cand, await MemberAsync(c, tx, cand.MemberId), await OpenInvoicesAsync(c, tx, cand.MemberId), await HistoryAsync(c, tx, cand.MemberId)));
                Candidates = views;
            }
        }, ct);
        return Page();
    }

    public Task<IActionResult> OnPostAcceptAsync(string id, string reason, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.AcceptAsIs, User.ToActor(), Note: string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()), ct);

    public Task<IActionResult> OnPostCorrectAsync(string id, string? amount, string? reason, CancellationToken ct)
    {
        decimal? target = null;
        if (!string.IsNullOrWhiteSpace(amount))
        {
            if (!decimal.TryParse(amount.Trim().TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
            {
                TempData["Flash"] = $"Could not read the amount '{amount}': write it like 250.00.";
                TempData["FlashKind"] = "error";
                return Task.FromResult<IActionResult>(RedirectToPage(new { id }));
            }

            target = parsed;
        }

        return ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.CorrectInImis, User.ToActor(), Note: string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), Amount: target), ct);
    }

    public Task<IActionResult> OnPostReverseAsync(string id, string reason, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.ReverseApplication, User.ToActor(), Note: string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()), ct);

    public Task<IActionResult> OnPostVoidAsync(string id, string reason, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.VoidInImis, User.ToActor(), Note: string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()), ct);

    public Task<IActionResult> OnPostApproveAsync(string id, string? note, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Approve, User.ToActor(), Note: string.IsNullOrWhiteSpace(note) ? null : note.Trim()), ct);

    public Task<IActionResult> OnPostRejectAsync(string id, string? note, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Reject, User.ToActor(), Note: string.IsNullOrWhiteSpace(note) ? null : note.Trim()), ct);

    public Task<IActionResult> OnPostRefundAsync(string id, CancellationToken ct) => ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Refund, User.ToActor()), ct);

    public Task<IActionResult> OnPostPickAsync(string id, string memberId, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.PickCandidate, User.ToActor(), MemberId: memberId), ct);

    public Task<IActionResult> OnPostOnAccountAsync(string id, string memberId, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.PutOnAccount, User.ToActor(), MemberId: string.IsNullOrWhiteSpace(memberId) ? null : memberId.Trim()), ct);

    public Task<IActionResult> OnPostAssignAsync(string id, string assignTo, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Assign, User.ToActor(), AssignTo: assignTo), ct);

    public Task<IActionResult> OnPostCommentAsync(string id, string note, CancellationToken ct) =>
        ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Comment, User.ToActor(), Note: note), ct);

    public Task<IActionResult> OnPostSplitAsync(string id, string split, CancellationToken ct)
    {
        var allocations = new List<ProposedAllocation>();
        foreach (var line in (split ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || !decimal.TryParse(parts[2], NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
            {
                TempData["Flash"] = $"Could not read the split line '{line}': write member id, invoice id (blank = on account), amount.";
                TempData["FlashKind"] = "error";
                return Task.FromResult<IActionResult>(RedirectToPage(new { id }));
            }

            allocations.Add(new ProposedAllocation(parts[0], string.IsNullOrEmpty(parts[1]) ? null : parts[1], amount));
        }

        return ActAsync(id, new ResolveReviewItem.Request(id, ReviewAction.Split, User.ToActor(), Allocations: allocations), ct);
    }

    private async Task<IActionResult> ActAsync(string id, ResolveReviewItem.Request request, CancellationToken ct)
    {
        if (!request.Actor.CanResolve) return Forbid();
        var outcome = await ResolveReviewItem.HandleAsync(store, clock, accounts, options, request, ct);
        if (outcome.Result == ResolveReviewItem.Result.NotAllowed) return Forbid();
        TempData["Flash"] = outcome.Result == ResolveReviewItem.Result.Done ? $"Done: {outcome.Message}" : $"Not done: {outcome.Message}";
        TempData["FlashKind"] = outcome.Result == ResolveReviewItem.Result.Done ? "" : "error";
        return RedirectToPage(new { id });
    }

    private static async Task<Member?> MemberAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string memberId)
    {
        var r = await c.QuerySingleOrDefaultAsync<(string Id, string Kind, string Name, string? Email, string Tier, string Status, string? Household, string? Org)?>(
            "SELECT member_id, kind, full_name, email, tier, status, household_id, organization_id FROM members WHERE member_id = @memberId", new { memberId }, tx);
        return r is { } m
            ? new Member(new MemberId(m.Id), m.Kind == "person" ? PartyKind.Person : PartyKind.Organization, m.Name, null, null, m.Email, m.Tier, Member.ParseStatus(m.Status), null, null, m.Household, m.Org is null ? null : new MemberId(m.Org))
            : null;
    }

    private static async Task<IReadOnlyList<Invoice>> OpenInvoicesAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string memberId)
    {
        var rows = await c.QueryAsync<(string Id, string Date, string Due, string Currency, long Amount, long Balance, string Product, string Description)>(
            "SELECT invoice_id, invoice_date, due_date, currency, amount_minor, balance_minor, product_code, description FROM invoices WHERE member_id = @memberId AND balance_minor > 0 ORDER BY due_date LIMIT 20",
            new { memberId }, tx);
        return rows.Select(r => DuesPilot.Domain.Invoice.SingleLine(new InvoiceId(r.Id), new MemberId(memberId), DbTime.ParseDate(r.Date), DbTime.ParseDate(r.Due),
            Money.FromMinor(r.Amount, Currency.Parse(r.Currency)), Money.FromMinor(r.Balance, Currency.Parse(r.Currency)), r.Product, r.Description)).ToList();
    }

    private static async Task<IReadOnlyList<string>> HistoryAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string memberId)
    {
        var rows = await c.QueryAsync<(string? Payer, string Channel, string? Invoice, string Currency, long Amount, string At)>(
            """
            SELECT p.payer_name, p.channel, a.invoice_id, a.currency, a.amount_minor, a.created_at FROM allocations a JOIN payments p ON p.payment_id = a.payment_id
            WHERE a.member_id = @memberId AND a.voided_by IS NULL ORDER BY a.created_at DESC LIMIT 10
            """,
            new { memberId }, tx);
        return rows.Select(r => $"{r.At[..10]}: {Money.FromMinor(r.Amount, Currency.Parse(r.Currency)).ToDisplayString()} by {r.Channel} from {r.Payer ?? "an unnamed payer"} to {(r.Invoice is null ? "account credit" : "INV " + r.Invoice)}").ToList();
    }
}
