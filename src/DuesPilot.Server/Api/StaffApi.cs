using DuesPilot.Domain;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reports;
using DuesPilot.Features.Review;
using DuesPilot.Persistence;
using DuesPilot.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DuesPilot.Server.Api;

/// <summary>The JSON API for integrations and scripts, behind the same sign-in and roles as the staff UI.</summary>
public static class StaffApi
{
    public sealed record ActionRequest(ReviewAction Action, string? Note = null, string? MemberId = null, IReadOnlyList<ProposedAllocation>? Allocations = null, string? AssignTo = null, decimal? Amount = null);

    public sealed record ActionResponse(string Result, string Message);

    public sealed record BalanceResponse(string Account, string Currency, decimal Balance);

    public static IEndpointRouteBuilder MapStaffApi(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api").RequireAuthorization(StaffUi.ReadPolicy).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ServiceLimits.StaffApiMaxBodyBytes));
        read.MapGet("/review", async (Store store, string? state, string? kind, string? assignedTo, string? search, CancellationToken ct) =>
            TypedResults.Ok(await ReviewQueue.ListAsync(store, new ReviewQueueFilter(state ?? "open", kind, assignedTo, search), ct)));
        read.MapGet("/review/{id}", async Task<Results<Ok<ReviewItemView>, NotFound>> (Store store, string id, CancellationToken ct) =>
            await ReviewQueue.FindAsync(store, id, ct) is { } item ? TypedResults.Ok(item) : TypedResults.NotFound());
        read.MapGet("/holds", async (Store store, CancellationToken ct) =>
            TypedResults.Ok((await new Journal(store).OpenHoldsAsync(ct: ct)).Select(h => new { entry = h.Id.ToString(), key = h.IdempotencyKey, amount = h.HeldAmount.Amount, currency = h.Currency.Code, releaseAt = h.ReleaseAt })));
        read.MapGet("/ledger/balances", async (Store store, CancellationToken ct) =>
            TypedResults.Ok((await new Journal(store).TrialBalanceAsync(ct)).Select(b => new BalanceResponse(b.Account.Value, b.Balance.Currency.Code, b.Balance.Amount))));
        read.MapGet("/summary/daily", async (Store store, TimeProvider clock, Domain.Proration.BillingPolicy policy, DateOnly? date, CancellationToken ct) =>
            TypedResults.Ok(await DailySummary.BuildAsync(store, clock, date ?? Domain.BusinessClock.Of(clock).Today, policy.Currency, ct)));

        var write = app.MapGroup("/api").RequireAuthorization(StaffUi.ResolvePolicy).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ServiceLimits.StaffApiMaxBodyBytes));
        write.MapPost("/review/{id}/actions", async Task<Results<Ok<ActionResponse>, NotFound<ActionResponse>, Conflict<ActionResponse>, ForbidHttpResult, BadRequest<ActionResponse>>> (
            Store store, TimeProvider clock, ChartOfAccounts accounts, PostingOptions options, HttpContext http, string id, ActionRequest body, CancellationToken ct) =>
        {
            var outcome = await ResolveReviewItem.HandleAsync(store, clock, accounts, options,
                new ResolveReviewItem.Request(id, body.Action, http.User.ToActor(), body.Note, body.MemberId, body.Allocations, body.AssignTo, body.Amount), ct);
            var response = new ActionResponse(outcome.Result.ToString(), outcome.Message);
            return outcome.Result switch
            {
                ResolveReviewItem.Result.Done => TypedResults.Ok(response),
                ResolveReviewItem.Result.ItemNotFound => TypedResults.NotFound(response),
                ResolveReviewItem.Result.AlreadyResolved => TypedResults.Conflict(response),
                ResolveReviewItem.Result.NotAllowed or ResolveReviewItem.Result.NeedsApprover => TypedResults.Forbid(),
                _ => TypedResults.BadRequest(response),
            };
        });
        write.MapPost("/holds/{paymentId}/override", async Task<Results<Ok<ActionResponse>, Conflict<ActionResponse>>> (
            Store store, TimeProvider clock, PostingOptions options, HttpContext http, string paymentId, string? reason, CancellationToken ct) =>
        {
            var outcome = await store.InTransactionAsync((c, tx) => OverrideHold.HandleAsync(c, tx, clock, options, new PaymentId(paymentId), http.User.ToActor().UserName, reason ?? "override through the API"), ct);
            var response = new ActionResponse(outcome.Result.ToString(), outcome.Detail);
            return outcome.Result == OverrideHold.Result.Voided ? TypedResults.Ok(response) : TypedResults.Conflict(response);
        });
        // API clients authenticate with the staff cookie; CrossSiteGuard refuses cross-site requests to every
        // one of these (Origin, Sec-Fetch-Site, and application/json or the antiforgery token).
        return app;
    }
}
