using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Inquiries.Mail;
using DuesPilot.Persistence;
using Microsoft.Extensions.AI;
using MimeKit;
using DuesPilot.Ai;

namespace DuesPilot.Tooling.Ai;

/// <summary>One case of <c>tests/golden/inquiries/cases.json</c>: a member's message and what a careful billing clerk would do with it.</summary>
/// <param name="Expect"><c>answer</c> or <c>staff</c>.</param>
/// <param name="Member">Who the clerk would recognise as the writer; null for nobody.</param>
/// <param name="Facts">answer: strings the reply must contain; staff: strings the staff item must contain.</param>
/// <param name="Not">Strings no reply may contain.</param>
public sealed record MemberInquiryCase(string Id, string Channel, string? From, string? Subject, string Body, string Expect, string? Member, IReadOnlyList<string>? Facts, IReadOnlyList<string>? Not, string? Why)
{
    public static IReadOnlyList<MemberInquiryCase> Load(string path) =>
        JsonSerializer.Deserialize<List<MemberInquiryCase>>(File.ReadAllText(path), GoldenAssociation.Json) ?? [];
}

/// <summary>The set's score: right, confident wrong (answered when staff was needed, or answered wrongly), and safe misses (handed over when an answer was possible).</summary>
public sealed record MemberInquiryScore(string Path, int Total, int Right, int ConfidentWrong, int SafeMisses, IReadOnlyList<string> Misses)
{
    public decimal Accuracy => Total == 0 ? 0 : Math.Round((decimal)Right / Total, 3);
}

/// <summary>
/// <c>duespilot ai eval</c> on the member-question set: every case through the door it came by — an e-mail
/// through <see cref="AnswerInquiryMail"/> (sender lookup, reply extraction, reply or draft), a portal
/// question through <see cref="AnswerInquiry"/> — on a fresh store seeded from the set's own association.
/// </summary>
public static class MemberInquiryEvaluation
{
    public static async Task<IReadOnlyList<MemberInquiryScore>> RunAsync(string folder, AiOptions options, IChatClient? chat, string workDirectory, CancellationToken ct = default)
    {
        var association = GoldenAssociation.Load(Path.Combine(folder, "association.json"));
        var cases = MemberInquiryCase.Load(Path.Combine(folder, "cases.json"));
        var scores = new List<MemberInquiryScore>();
        foreach (var path in chat is null || !options.IsEnabled ? new[] { "deterministic" } : ["deterministic", "model"])
        {
            var dir = Path.Combine(workDirectory, $"eval-members-{path}-{Guid.NewGuid():N}");
            await using var store = await Store.OpenAsync(new StoreOptions(dir), ct);
            await association.SeedAsync(store);
            var clock = new FixedClock(association.Today);
            var model = path == "model" ? new GovernedModel(store, clock, options, chat, PromptRegistry.Embedded()) : GovernedModel.Off(store, clock);
            var assistant = AiEvaluation.Assistant(store, clock, new InquiryOptions(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48))), model);
            var mailbox = new AnswerInquiryMail(store, clock, assistant, new KeptReplies(), "dues@association.example.test");
            scores.Add(await ScoreAsync(store, clock, assistant, mailbox, cases, path, ct));
        }

        return scores;
    }

    private static async Task<MemberInquiryScore> ScoreAsync(Store store, TimeProvider clock, AnswerInquiry assistant, AnswerInquiryMail mailbox, IReadOnlyList<MemberInquiryCase> cases, string path, CancellationToken ct)
    {
        int right = 0, wrong = 0, safe = 0;
        var misses = new List<string>();
        foreach (var c in cases)
        {
            bool answered;
            string text;
            string? itemId;
            string? member;
            if (c.Channel == "portal")
            {
                var o = await assistant.AnswerMemberAsync(new MemberId(c.Member!), c.Body, "portal", ct: ct);
                (answered, text, itemId, member) = (o.Status == InquiryStatus.Answered, o.Answer, o.ReviewItemId, c.Member);
            }
            else
            {
                var r = await mailbox.HandleAsync(new InboundMail($"eval/{c.Id}", $"<{c.Id}@eval.duespilot>", c.From ?? "", c.Subject ?? "", c.Body, clock.GetUtcNow()), ct: ct);
                (answered, text, itemId, member) = (r.State == "replied", r.Answer ?? "", r.ReviewItemId, r.MemberId);
            }

            var problems = new List<string>();
            foreach (var x in c.Not ?? [])
                if (answered && text.Contains(x, StringComparison.OrdinalIgnoreCase)) problems.Add($"reply contains '{x}'");
            if (c.Expect == "answer")
            {
                if (!answered)
                {
                    safe++;
                    misses.Add($"{c.Id} [safe miss] handed to staff: {Short(text)}");
                    continue;
                }

                foreach (var f in c.Facts ?? [])
                    if (!text.Contains(f, StringComparison.Ordinal)) problems.Add($"reply lacks '{f}'");
            }
            else if (answered)
            {
                problems.Add("answered, staff needed");
            }
            else
            {
                (string? Member, string? Action, string? Reason, string? Analysis)? item = itemId is null ? null : await store.InTransactionAsync((cn, tx) => cn.QuerySingleOrDefaultAsync<(string? Member, string? Action, string? Reason, string? Analysis)>(
                    "SELECT member_id, suggested_action, reason, analysis FROM review_items WHERE item_id = @itemId", new { itemId }, tx), ct);
                if (item is null) problems.Add("no review item");
                else
                {
                    if (item.Value.Member != c.Member) problems.Add($"review item for member {item.Value.Member ?? "none"}, expected {c.Member ?? "none"}");
                    if (member != c.Member) problems.Add($"identified {member ?? "nobody"}, expected {c.Member ?? "nobody"}");
                    var staffText = $"{item.Value.Action} {item.Value.Reason} {StaffFields(item.Value.Analysis)}";
                    foreach (var f in c.Facts ?? [])
                        if (!staffText.Contains(f, StringComparison.Ordinal)) problems.Add($"staff item lacks '{f}'");
                }

                if (problems.Count == 0) right++;
                else misses.Add($"{c.Id} [staff, incomplete] {string.Join("; ", problems)}");
                continue;
            }

            if (problems.Count == 0) right++;
            else
            {
                wrong++;
                misses.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Id} [CONFIDENT WRONG] {string.Join("; ", problems)}: {Short(text)}"));
            }
        }

        return new MemberInquiryScore(path, cases.Count, right, wrong, safe, misses);
    }

    /// <summary>What staff read about the case: the finding and the drafted reply, not the member context that lists everything.</summary>
    private static string StaffFields(string? analysis)
    {
        if (string.IsNullOrEmpty(analysis)) return "";
        using var doc = JsonDocument.Parse(analysis);
        return string.Join(" ", StaffKeys.Select(k => doc.RootElement.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : ""));
    }

    private static readonly string[] StaffKeys = ["detail", "draft_answer"];

    private static string Short(string s) => s.Length <= 160 ? s : s[..160] + "…";

    /// <summary>Keeps replies instead of sending them.</summary>
    private sealed class KeptReplies : IInquiryReplySender
    {
        public List<MimeMessage> Sent { get; } = [];

        public Task SendAsync(MimeMessage reply, CancellationToken ct)
        {
            Sent.Add(reply);
            return Task.CompletedTask;
        }
    }
}
