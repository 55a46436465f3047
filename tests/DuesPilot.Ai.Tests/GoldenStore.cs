using System.Security.Cryptography;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Ai;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Ai.Tests;

/// <summary>A fresh store seeded with the golden association, its clock at the golden "today", and the handlers wired to it.</summary>
public sealed class GoldenStore : IAsyncDisposable
{
    public static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "Data");
    private static readonly Lazy<GoldenAssociation> Association = new(() => GoldenAssociation.Load(Path.Combine(DataDirectory, "association.json")));
    private static readonly Lazy<PolicyLibrary> SharedPolicies = new(() => PolicyLibrary.Embedded(MiniLmEmbedder.Shared));

    private GoldenStore(Store store, FakeTimeProvider clock, string signingKey)
    {
        Store = store;
        Clock = clock;
        SigningKey = signingKey;
    }

    public Store Store { get; }

    public FakeTimeProvider Clock { get; }

    public string SigningKey { get; }

    public static PolicyLibrary Policies => SharedPolicies.Value;

    public static GoldenAssociation Data => Association.Value;

    public static async Task<GoldenStore> CreateAsync(StoreEngine engine = StoreEngine.Sqlite)
    {
        var store = await TestStores.CreateAsync(engine);
        await Data.SeedAsync(store);
        return new GoldenStore(store, new FakeTimeProvider(Data.Today), Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
    }

    public string TokenFor(string memberId) => new MemberToken(SigningKey).Issue(new MemberId(memberId), Clock.GetUtcNow().AddDays(30));

    public GovernedModel Model(AiOptions? options = null, IChatClient? chat = null) =>
        chat is null ? GovernedModel.Off(Store, Clock) : new GovernedModel(Store, Clock, options!, chat, PromptRegistry.Embedded());

    public AnswerInquiry Assistant(GovernedModel? model = null, InquiryOptions? options = null) =>
        new(Store, Clock, options ?? new InquiryOptions(SigningKey), Policies, new PolicyExpectedDues(Features.Invoicing.LoadBillingPolicy.Example()), model ?? Model());

    public Task<AnswerInquiry.Outcome> AskAsync(string memberId, string question, GovernedModel? model = null) =>
        Assistant(model).HandleAsync(new AnswerInquiry.Request(TokenFor(memberId), question));

    /// <summary>Everything that records money: if any of it changes, something moved money.</summary>
    public Task<string> MoneySnapshotAsync() => Store.InTransactionAsync(async (c, tx) =>
    {
        var allocations = await c.QueryAsync<string>("SELECT payment_id || '|' || member_id || '|' || COALESCE(invoice_id, '-') || '|' || amount_minor FROM allocations ORDER BY allocation_id", transaction: tx);
        var balances = await c.QueryAsync<string>("SELECT invoice_id || '|' || balance_minor || '|' || amount_minor FROM invoices ORDER BY invoice_id", transaction: tx);
        var payments = await c.QueryAsync<string>("SELECT payment_id || '|' || state || '|' || amount_minor FROM payments ORDER BY payment_id", transaction: tx);
        var entries = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal_entries", transaction: tx);
        var lines = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journal_lines", transaction: tx);
        return string.Join("\n", allocations.Concat(balances).Concat(payments).Append($"entries={entries}").Append($"lines={lines}"));
    });

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
