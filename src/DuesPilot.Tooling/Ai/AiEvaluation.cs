using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Members;
using DuesPilot.Persistence;
using Microsoft.Extensions.AI;
using DuesPilot.Ai;

namespace DuesPilot.Tooling.Ai;

/// <summary>The golden association (<c>association.json</c>): members, invoices with lines, payments with allocations, and the moment "now".</summary>
public sealed record GoldenAssociation(DateTimeOffset Today, IReadOnlyList<GoldenAssociation.GMember> Members, IReadOnlyList<GoldenAssociation.GInvoice> Invoices, IReadOnlyList<GoldenAssociation.GPayment> Payments)
{
    public sealed record GMember(string Id, string Name, string? First, string? Last, string? Email, string Tier, string Status, string? Join, string? PaidThrough, string? Household, string? Kind);

    public sealed record GLine(string Product, string Description, string Amount, string? Start, string? End);

    public sealed record GInvoice(string Id, string Member, string Date, string Due, string Amount, string Balance, string Product, string Description, IReadOnlyList<GLine> Lines);

    public sealed record GAllocation(string Member, string? Invoice, string Amount);

    public sealed record GPayment(string Id, string Channel, string Amount, DateTimeOffset Received, string? Payer, string? Email, string? Reference, string? Memo, string State, IReadOnlyList<GAllocation> Allocations);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        Converters = { new JsonStringEnumConverter() },
    };

    public static GoldenAssociation Load(string path) =>
        JsonSerializer.Deserialize<GoldenAssociation>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");

    /// <summary>Writes the association into a store through the same cache code the iMIS sync uses.</summary>
    public Task SeedAsync(Store store) => store.InTransactionAsync(async (c, tx) =>
    {
        var usd = Currency.USD;
        foreach (var m in Members)
        {
            await MemberCache.UpsertAsync(c, tx, new Member(
                new MemberId(m.Id), m.Kind == "organization" ? PartyKind.Organization : PartyKind.Person, m.Name, m.First, m.Last, m.Email, m.Tier,
                Member.ParseStatus(m.Status), D(m.Join), D(m.PaidThrough), m.Household), Today);
        }

        foreach (var i in Invoices)
        {
            var lines = i.Lines.Select(l => new InvoiceLine(l.Product, l.Description, Money.Parse(l.Amount, usd), 1, null, D(l.Start), D(l.End))).ToList();
            await MemberCache.UpsertInvoiceIfNewAsync(c, tx, new Invoice(new InvoiceId(i.Id), new MemberId(i.Member), DbTime.ParseDate(i.Date), DbTime.ParseDate(i.Due),
                Money.Parse(i.Amount, usd), Money.Parse(i.Balance, usd), i.Product, i.Description, lines), Today);
        }

        foreach (var p in Payments)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO payments (payment_id, channel, currency, amount_minor, received_at, payer_name, payer_email, reference, memo, source, state, created_at)
                VALUES (@Id, @Channel, 'USD', @amount, @received, @Payer, @Email, @Reference, @Memo, 'golden', @State, @received)
                """,
                new { p.Id, p.Channel, amount = Money.Parse(p.Amount, usd).MinorUnits, received = DbTime.Format(p.Received), p.Payer, p.Email, p.Reference, p.Memo, p.State }, tx);
            var n = 0;
            foreach (var a in p.Allocations)
            {
                await c.ExecuteAsync(
                    "INSERT INTO allocations (allocation_id, payment_id, member_id, invoice_id, currency, amount_minor, created_at) VALUES (@id, @pid, @Member, @Invoice, 'USD', @amount, @at)",
                    new { id = $"{p.Id}/{++n}", pid = p.Id, a.Member, a.Invoice, amount = Money.Parse(a.Amount, usd).MinorUnits, at = DbTime.Format(p.Received) }, tx);
            }
        }
    });

    private static DateOnly? D(string? s) => DbTime.ParseDateOrNull(s);
}

/// <summary>One golden question: who asks, what, and what a right answer must (and must not) contain.</summary>
public sealed record InquiryCase(string Member, string Question, InquiryIntent Intent, InquiryStatus Status, IReadOnlyList<string>? Contains, IReadOnlyList<string>? Excludes, IReadOnlyList<string>? Cites, string? Finding)
{
    public static IReadOnlyList<InquiryCase> Load(string path) => JsonSerializer.Deserialize<List<InquiryCase>>(File.ReadAllText(path), GoldenAssociation.Json) ?? [];

    /// <summary>What is wrong with an outcome; empty when it is right.</summary>
    /// <param name="strictWording">False for model-phrased answers: facts (amounts, ids, dates) must survive, template phrases need not.</param>
    public IReadOnlyList<string> Check(AnswerInquiry.Outcome o, bool strictWording = true)
    {
        var problems = new List<string>();
        if (o.Intent != Intent) problems.Add($"intent {o.Intent}, expected {Intent}");
        if (o.Status != Status) problems.Add($"status {o.Status}, expected {Status}");
        if (Finding is not null && o.Finding?.Kind != Finding) problems.Add($"finding {o.Finding?.Kind ?? "none"}, expected {Finding}");
        foreach (var c in Contains ?? [])
            if ((strictWording || IsFact(c)) && !o.Answer.Contains(c, StringComparison.Ordinal)) problems.Add($"answer lacks '{c}'");
        foreach (var x in Excludes ?? [])
            if (o.Answer.Contains(x, StringComparison.OrdinalIgnoreCase)) problems.Add($"answer contains '{x}'");
        foreach (var cite in Cites ?? [])
            if (!o.Citations.Any(k => k.Id.StartsWith(cite, StringComparison.Ordinal))) problems.Add($"no citation '{cite}'");
        return problems;
    }

    private static bool IsFact(string s) => s.Contains('$', StringComparison.Ordinal) || s.Contains("INV-", StringComparison.Ordinal) || s.Any(char.IsAsciiDigit);
}

/// <summary>One golden memo: the payment and the members/invoices a right interpretation names (exactly).</summary>
public sealed record MemoCase(string Payment, string? Payer, string Memo, string Amount, string Channel, IReadOnlyList<string> Members, IReadOnlyList<string> Invoices)
{
    public static IReadOnlyList<MemoCase> Load(string path) => JsonSerializer.Deserialize<List<MemoCase>>(File.ReadAllText(path), GoldenAssociation.Json) ?? [];

    public MemoInterpretationRequest ToRequest() => new(new PaymentId(Payment), Payer, Memo, Money.Parse(Amount, Currency.USD), Domain.Payment.ParseChannel(Channel));

    public bool IsRight(MemoEvidence e) =>
        e.MemberIds.Select(m => m.Value).Order(StringComparer.Ordinal).SequenceEqual(Members.Order(StringComparer.Ordinal))
        && e.InvoiceIds.Select(i => i.Value).Order(StringComparer.Ordinal).SequenceEqual(Invoices.Order(StringComparer.Ordinal));
}

/// <summary>A clock that stands still at the golden set's "today".</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Accuracy of one task on one path.</summary>
public sealed record EvalScore(string Task, string Path, int Right, int Total, IReadOnlyDictionary<string, int> ModelOutcomes, IReadOnlyList<string> Misses)
{
    public decimal Accuracy => Total == 0 ? 0 : Math.Round((decimal)Right / Total, 3);
}

/// <summary>
/// <c>duespilot ai eval</c>: runs the memo and inquiry golden sets through the deterministic path and,
/// when a model is configured, through the model path, each on a fresh store seeded from the golden
/// association, so a prompt or model change is measured before it ships.
/// </summary>
public static class AiEvaluation
{
    public static async Task<IReadOnlyList<EvalScore>> RunAsync(string dataDirectory, AiOptions options, IChatClient? chat, string workDirectory, CancellationToken ct = default)
    {
        var association = GoldenAssociation.Load(Path.Combine(dataDirectory, "association.json"));
        var inquiries = InquiryCase.Load(Path.Combine(dataDirectory, "inquiries.json"));
        var memos = MemoCase.Load(Path.Combine(dataDirectory, "memos.json"));
        var scores = new List<EvalScore>();
        var paths = chat is null || !options.IsEnabled ? new[] { "deterministic" } : ["deterministic", "model"];
        foreach (var path in paths)
        {
            var folder = Path.Combine(workDirectory, $"eval-{path}-{Guid.NewGuid():N}");
            await using var store = await Store.OpenAsync(new StoreOptions(folder), ct);
            await association.SeedAsync(store);
            var clock = new FixedClock(association.Today);
            var model = path == "model" ? new GovernedModel(store, clock, options, chat, PromptRegistry.Embedded()) : GovernedModel.Off(store, clock);
            scores.Add(await MemoScoreAsync(store, model, memos, path, ct));
            scores.Add(await InquiryScoreAsync(store, clock, model, inquiries, path, ct));
        }

        return scores;
    }

    private static async Task<EvalScore> MemoScoreAsync(Store store, GovernedModel model, IReadOnlyList<MemoCase> cases, string path, CancellationToken ct)
    {
        var interpreter = new InterpretMemo(store, model);
        var right = 0;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var c in cases)
        {
            var e = await interpreter.InterpretAsync(c.ToRequest(), ct);
            var code = GovernedModel.Code(e.ModelOutcome);
            outcomes[code] = outcomes.GetValueOrDefault(code) + 1;
            if (c.IsRight(e)) right++;
            else misses.Add($"{c.Payment}: got members [{string.Join(",", e.MemberIds)}] invoices [{string.Join(",", e.InvoiceIds)}]");
        }

        return new EvalScore("memo-interpretation", path, right, cases.Count, outcomes, misses);
    }

    /// <summary>The billing assistant as the evaluations run it: embedded policies, the default expected dues.</summary>
    public static AnswerInquiry Assistant(Store store, TimeProvider clock, InquiryOptions options, GovernedModel model) =>
        new(store, clock, options, PolicyLibrary.Embedded(MiniLmEmbedder.Shared), new PolicyExpectedDues(Features.Invoicing.LoadBillingPolicy.Example()), model);

    private static async Task<EvalScore> InquiryScoreAsync(Store store, TimeProvider clock, GovernedModel model, IReadOnlyList<InquiryCase> cases, string path, CancellationToken ct)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var options = new InquiryOptions(key);
        var handler = Assistant(store, clock, options, model);
        var tokens = new MemberToken(key);
        var right = 0;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var c in cases)
        {
            var token = tokens.Issue(new MemberId(c.Member), clock.GetUtcNow().AddDays(1));
            var o = await handler.HandleAsync(new AnswerInquiry.Request(token, c.Question), ct);
            var by = o.PhrasedBy.StartsWith("model", StringComparison.Ordinal) ? "phrased-by-model" : "template";
            outcomes[by] = outcomes.GetValueOrDefault(by) + 1;
            var problems = c.Check(o, strictWording: path == "deterministic");
            if (problems.Count == 0) right++;
            else misses.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Member} \"{c.Question}\": {string.Join("; ", problems)}"));
        }

        return new EvalScore("inquiry", path, right, cases.Count, outcomes, misses);
    }
}
