using DuesPilot.Domain;
using DuesPilot.Features.Members;
using DuesPilot.Persistence;

namespace DuesPilot.Revenue.Tests.Collections;

/// <summary>Members and invoices for collections tests; each test makes its own.</summary>
internal static class CollectionsData
{
    public static Task AddMemberAsync(Store store, TimeProvider clock, string id, string tier = "REG", string? email = null, DateOnly? joined = null, string? chapter = null) =>
        store.InTransactionAsync((c, tx) => MemberCache.UpsertAsync(c, tx,
            new Member(new MemberId(id), PartyKind.Person, $"Member {id}", "Pat", $"Member{id}", email ?? $"m{id}@example.test", tier, MemberStatus.Active,
                joined ?? new DateOnly(2020, 1, 1), null, ChapterId: chapter), clock.GetUtcNow()));

    public static Task AddInvoiceAsync(Store store, TimeProvider clock, string id, string member, DateOnly due, string amount, string? balance = null) =>
        store.InTransactionAsync((c, tx) => MemberCache.UpsertInvoiceIfNewAsync(c, tx,
            Invoice.SingleLine(new InvoiceId(id), new MemberId(member), due.AddDays(-30), due, Money.Parse(amount, Currency.USD), Money.Parse(balance ?? amount, Currency.USD), "DUES", "Annual dues"),
            clock.GetUtcNow()));
}
