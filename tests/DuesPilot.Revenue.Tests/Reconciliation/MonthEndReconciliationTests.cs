using DuesPilot.Domain;
using DuesPilot.Domain.Ledger;
using DuesPilot.Domain.Revenue;
using DuesPilot.Features.Ledger;
using DuesPilot.Features.Posting;
using DuesPilot.Features.Reconciliation;
using DuesPilot.Features.Revenue;
using DuesPilot.Persistence;
using DuesPilot.Revenue.Tests.Collections;
using DuesPilot.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace DuesPilot.Revenue.Tests.Reconciliation;

/// <summary>
/// March 2027 as processed: four payments (two posted after the hold window, one voided by staff, one still held at
/// month end), a $5.00 bank-fee write-off and a $10.00 dues refund; then the tie-out against a bank file and an iMIS
/// receipts export, each with its own mistakes.
/// </summary>
public abstract class MonthEndReconciliationTests(StoreEngine engine) : IAsyncLifetime
{
    private static readonly ChartOfAccounts Accounts = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private Store _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.CreateAsync(engine);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private void At(int day, int hour = 9) => _clock.SetUtcNow(new DateTimeOffset(2027, 3, day, hour, 0, 0, TimeSpan.Zero));

    private Task<HoldPayment.Outcome> Pay(string id, string reference, PaymentChannel channel, string amount, params (string? Invoice, string Amount)[] parts) =>
        HoldPayment.HandleAsync(_store, _clock, Accounts, new PostingOptions(), new HoldPayment.Request(
            new Payment(new PaymentId(id), channel, Money.Parse(amount, Currency.USD), _clock.GetUtcNow(), "Pat Member1", null, reference, null),
            parts.Select(p => new Allocation(new PaymentId(id), new MemberId("1"), p.Invoice is null ? null : new InvoiceId(p.Invoice), Money.Parse(p.Amount, Currency.USD))).ToList(),
            TimeSpan.FromHours(24), "test", "auto-applied"));

    private async Task ProcessMarchAsync()
    {
        await CollectionsData.AddMemberAsync(_store, _clock, "1");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-1", "1", new DateOnly(2027, 3, 1), "395.00");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-2", "1", new DateOnly(2027, 3, 1), "100.00");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-3", "1", new DateOnly(2027, 3, 1), "50.00");
        await CollectionsData.AddInvoiceAsync(_store, _clock, "INV-4", "1", new DateOnly(2027, 3, 1), "75.00");
        At(5);
        await Pay("ch_1", "ch_1", PaymentChannel.Card, "395.00", ("INV-1", "395.00"));
        At(6, 10);
        await ReleaseExpiredHolds.HandleAsync(_store, _clock, Accounts, new PostingOptions());
        At(10);
        await Pay("ach_2", "TRACE2", PaymentChannel.Ach, "120.00", ("INV-2", "100.00"), (null, "20.00"));
        At(11, 10);
        await ReleaseExpiredHolds.HandleAsync(_store, _clock, Accounts, new PostingOptions());
        At(15);
        await RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request("join-1", "1:2027", new MemberId("1"), new(2027, 3, 15), new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Join, new(2027, 3, 15), "REG", Money.Usd(329.17m))));
        await RecordDuesEvent.HandleAsync(_store, _clock, Accounts, new RecordDuesEvent.Request("refund-1", "1:2027", new MemberId("1"), new(2027, 3, 15), new(2027, 12, 31),
            RecognitionMethod.StraightLineMonths, new DuesEvent(DuesEventKind.Refund, new(2027, 3, 15), "REG", Money.Usd(10m))));
        At(20);
        var held = await Pay("chk_3", "CHK3", PaymentChannel.Check, "50.00", ("INV-3", "50.00"));
        var journal = new Journal(_store);
        var pending = (await journal.FindAsync(held.PendingEntryId))!;
        await journal.RecordAsync(JournalEntry.Void(EntryId.New(_clock), "payment:chk_3:void", pending, _clock.GetUtcNow(), "staff override: wrong member"));
        At(25);
        await journal.RecordAsync(JournalEntry.Standard(EntryId.New(_clock), "writeoff:INV-2", _clock.GetUtcNow(), "bank fee on short payment",
            [LedgerLine.Debit(Accounts.WriteOffs, Money.Usd(5m)), LedgerLine.Credit(Accounts.DuesReceivable, Money.Usd(5m))]));
        At(31, 20);
        await Pay("wire_4", "W4", PaymentChannel.Wire, "75.00", ("INV-4", "75.00"));
        _clock.SetUtcNow(new DateTimeOffset(2027, 4, 2, 9, 0, 0, TimeSpan.Zero));
    }

    private static ExternalReceipt R(string source, string reference, int month, int day, string amount) =>
        new(source, reference, new DateOnly(2027, month, day), Money.Parse(amount, Currency.USD));

    [Fact]
    public async Task Draft_March_TotalsEachKindOfMovementAndBalances()
    {
        await ProcessMarchAsync();

        var draft = await DraftMonthEndReconciliation.HandleAsync(_store, _clock, Accounts, new DraftMonthEndReconciliation.Request(BillingMonth.Parse("2027-03"), []));

        // Receipts 395 + 120 + 50 + 75; posted 395 + 120; voided 50; still held 75; credit on account 20 (from ach_2).
        var t = draft.Totals;
        Assert.Equal(["640.00", "515.00", "50.00", "75.00", "10.00", "5.00", "20.00", "0.00"],
            new[] { t.CashReceipts, t.HoldsPosted, t.HoldsVoided, t.OpenHoldsAtMonthEnd, t.Refunds, t.WriteOffs, t.CreditsOnAccount, t.RevenueRecognised }.Select(m => m.ToPlainString()));
        Assert.True(draft.Balances);
        Assert.Contains(draft.Lines, l => l.Category == "holds posted" && l.Account == Accounts.MemberCredit && l.Credit == Money.Usd(20m));
        Assert.Contains(draft.Lines, l => l.Category == "refunds" && l.Account == Accounts.RefundsPayable && l.Credit == Money.Usd(10m));
        Assert.Empty(draft.Differences);
    }

    [Fact]
    public async Task TieOut_BankAndImisLists_ListsEveryDifference()
    {
        await ProcessMarchAsync();
        ExternalReceipt[] external =
        [
            R("bank", "ch_1", 3, 5, "395.00"), R("bank", "TRACE2", 3, 10, "120.00"), R("bank", "CHK3", 3, 20, "50.00"), R("bank", "W4", 4, 1, "75.00"), R("bank", "X9", 3, 12, "12.00"),
            R("imis", "ch_1", 3, 5, "395.00"), R("imis", "TRACE2", 3, 10, "102.00"),
        ];

        var draft = await DraftMonthEndReconciliation.HandleAsync(_store, _clock, Accounts, new DraftMonthEndReconciliation.Request(BillingMonth.Parse("2027-03"), external));

        Assert.Equal(
        [
            "DateInOtherMonth bank W4",
            "MissingFromDuesPilot bank X9",
            "AmountDiffers imis TRACE2",
            "MissingFromExternal imis CHK3",
            "MissingFromExternal imis W4",
        ], draft.Differences.Select(d => $"{d.Kind} {d.Source} {d.Reference}"));

        var dir = Directory.CreateTempSubdirectory("duespilot-recon-").FullName;
        var files = await ReconciliationFiles.WriteAsync(draft, dir);
        Assert.StartsWith("# DRAFT", (await File.ReadAllLinesAsync(files[0]))[0], StringComparison.Ordinal);
        Assert.Equal(6, (await File.ReadAllLinesAsync(files[1])).Length);

        // The iMIS GL layout: one batch dated the month end, debits equal credits.
        var gl = (await File.ReadAllLinesAsync(files[2])).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.NotEmpty(gl);
        Assert.All(gl, cells => Assert.Equal(("DP-2703", "2027-03-31"), (cells[0], cells[1])));
        Assert.Equal(gl.Sum(c => decimal.Parse(c[3], System.Globalization.CultureInfo.InvariantCulture)), gl.Sum(c => decimal.Parse(c[4], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task ReadReceiptsCsv_HeaderInAnyOrder_ReadsRows()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("duespilot-recon-").FullName, "bank.csv");
        await File.WriteAllTextAsync(path, "amount,reference,date\n395.00,ch_1,2027-03-05\n12.00,X9,2027-03-12\n");

        var rows = ReconciliationFiles.ReadReceiptsCsv(path, "bank", Currency.USD);

        Assert.Equal([R("bank", "ch_1", 3, 5, "395.00"), R("bank", "X9", 3, 12, "12.00")], rows);
    }
}

public sealed class MonthEndReconciliationSqliteTests() : MonthEndReconciliationTests(StoreEngine.Sqlite);

public sealed class MonthEndReconciliationPostgresTests() : MonthEndReconciliationTests(StoreEngine.Postgres);
