using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Audit;
using DuesPilot.Features.ImisSync;
using DuesPilot.Persistence;
using MimeKit;

namespace DuesPilot.Features.Inquiries.Mail;

/// <summary>One e-mail as the mailbox delivered it.</summary>
/// <param name="MailKey">Where it sits: <c>FOLDER/UIDVALIDITY/UID</c>.</param>
/// <param name="AutoSubmitted">The <c>Auto-Submitted</c> header (RFC 3834), when present.</param>
public sealed record InboundMail(string MailKey, string? MessageId, string From, string Subject, string Body, DateTimeOffset? Date = null, string? AutoSubmitted = null)
{
    /// <summary>The Message-ID, or a hash of sender, date, subject and body: the same message copied twice is one message.</summary>
    public string IdempotencyKey => MessageId is { Length: > 0 } id
        ? "msgid:" + id.Trim().Trim('<', '>')
        : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{From}\n{Date?.ToUnixTimeSeconds()}\n{Subject}\n{Body}")));

    public static InboundMail FromMime(MimeMessage m, string mailKey)
    {
        var body = m.TextBody ?? HtmlText(m.HtmlBody) ?? "";
        return new InboundMail(mailKey, m.MessageId, m.From.Mailboxes.FirstOrDefault()?.Address ?? "", m.Subject ?? "", body,
            m.Date == DateTimeOffset.MinValue ? null : m.Date, m.Headers["Auto-Submitted"]);
    }

    private static string? HtmlText(string? html) => html is null ? null
        : System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(html, "(?i)<br\\s*/?>|</p>|</div>", "\n", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)),
            "<[^>]+>", "", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)));
}

/// <summary>Sends a reply e-mail. The service uses SMTP; the evaluation keeps the replies.</summary>
public interface IInquiryReplySender
{
    Task SendAsync(MimeMessage reply, CancellationToken ct);
}

/// <summary>What became of one e-mail.</summary>
/// <param name="State"><c>replied</c> (answer sent), <c>drafted</c> (reply waits on a review item), <c>unidentified</c> (sender unknown or shared: staff), <c>reply-pending</c> (answer stored, sending failed; retried next poll).</param>
/// <param name="AlreadyDone">True when an earlier poll finished this message: nothing was done now.</param>
public sealed record MailResult(string State, string? MemberId, string? InquiryId, string? ReviewItemId, string? Answer, bool AlreadyDone);

/// <summary>
/// The support mailbox as the assistant's second door. Identifies the member by the From address only
/// (no member, or several sharing it → staff, nothing disclosed), answers with the same
/// <see cref="AnswerInquiry"/> as the portal, then replies by SMTP when the answer is confident and
/// <see cref="InquiryMailboxOptions.AutoReply"/> allows, or leaves the reply as a draft on a review item.
/// The thread, the answer and its evidence go to the member's iMIS record as a note (through the
/// outbox) and to the audit log. Each message is handled once: its row in <c>inquiry_mail</c> (by
/// idempotency key) and an inquiry id derived from it make every step safe to repeat after a crash.
/// </summary>
public sealed class AnswerInquiryMail(Store store, TimeProvider clock, AnswerInquiry assistant, IInquiryReplySender? sender, string replyFrom, bool autoReply = true)
{
    public const string Actor = "inquiry-mailbox";
    public const string MemberNoteKind = "member-note";

    public async Task<MailResult> HandleAsync(InboundMail mail, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var key = mail.IdempotencyKey;
        var row = await LoadAsync(key, ct);
        if (row is not null && row.state is "replied" or "drafted" or "unidentified")
            return new MailResult(row.state, row.member_id, row.inquiry_id, row.review_item_id, row.reply_text, true);

        var sender = NormalizeAddress(mail.From);
        var mask = new MaskingSession(new MaskingRules(true, []));
        var subjectMasked = mask.Mask(mail.Subject);
        if (row is null)
        {
            await store.InTransactionAsync(async (c, tx) =>
            {
                var now = DbTime.Format(clock.GetUtcNow());
                await c.ExecuteAsync(
                    """
                    INSERT INTO inquiry_mail (mail_key, idempotency_key, sender, subject, state, received_at, processed_at)
                    VALUES (@MailKey, @key, @sender, @subjectMasked, 'claimed', @received, @now)
                    ON CONFLICT DO NOTHING
                    """,
                    new { mail.MailKey, key, sender, subjectMasked, received = DbTime.Format(mail.Date ?? clock.GetUtcNow()), now }, tx);
                return 0;
            }, ct);
            row = await LoadAsync(key, ct) ?? throw new InvalidOperationException($"inquiry_mail row for {key} was not stored");
        }

        if (row.state == "claimed")
        {
            var decided = await DecideAsync(mail, key, sender, subjectMasked, ct);
            progress?.Report($"answered {mail.MailKey}");
            ct.ThrowIfCancellationRequested();
            row = await LoadAsync(key, ct) ?? throw new InvalidOperationException($"inquiry_mail row for {key} vanished");
            if (decided.State != "reply-pending") return decided;
        }

        return await SendReplyAsync(mail, row, progress, ct);
    }

    /// <summary>Identify, answer, and record the decision (once: the row moves out of <c>claimed</c> in the same transaction as the note and audit).</summary>
    private async Task<MailResult> DecideAsync(InboundMail mail, string key, string sender, string subjectMasked, CancellationToken ct)
    {
        var members = await store.InTransactionAsync(async (c, tx) =>
            (await c.QueryAsync<string>("SELECT member_id FROM members WHERE LOWER(email) = @sender ORDER BY member_id", new { sender }, tx)).ToList(), ct);
        var inquiryId = DeterministicId(key);
        if (members.Count != 1)
        {
            var reason = members.Count == 0 ? "E-mail from an address no member has" : $"E-mail from an address {members.Count} members share";
            var questionMasked = new MaskingSession(new MaskingRules(true, members)).Mask(MailQuestion.Extract(mail.Subject, mail.Body));
            var staffItem = await RecordAsync(key, "unidentified", null, null, null, null, async (c, tx) =>
            {
                var id = await OpenMailItemAsync(c, tx, key, null, reason,
                    "Confirm who wrote before answering; do not send account details to this address.",
                    new { from = sender, subject = subjectMasked, question = questionMasked, members_with_this_address = members }, 30);
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(Actor, "inquiry.mail-unidentified", $"mail:{key}", reason, null,
                    JsonSerializer.Serialize(new { from = sender, subject = subjectMasked, members })));
                return id;
            }, ct);
            return new MailResult("unidentified", null, null, staffItem, null, false);
        }

        var memberId = members[0];
        var question = MailQuestion.IsAutoReply(mail.Subject, mail.AutoSubmitted) ? "" : MailQuestion.Extract(mail.Subject, mail.Body);
        var masking = new MaskingSession(new MaskingRules(true, [memberId]));
        var existing = await store.InTransactionAsync((c, tx) => c.QuerySingleOrDefaultAsync<StoredInquiry>(
            "SELECT outcome, answer, review_item_id, citations, question_masked FROM inquiries WHERE inquiry_id = @inquiryId", new { inquiryId }, tx), ct);
        string status, answer, citations, questionText;
        string? reviewItem;
        if (existing is not null)
        {
            (status, answer, reviewItem, citations, questionText) = (existing.outcome, existing.answer, existing.review_item_id, existing.citations, existing.question_masked);
        }
        else if (question.Length is 0 or > AnswerInquiry.MaxQuestionLength)
        {
            (status, answer, reviewItem, citations, questionText) = ("handed-to-staff", "", null, "[]", masking.Mask(question));
        }
        else
        {
            var o = await assistant.AnswerMemberAsync(new MemberId(memberId), question, "email", inquiryId, ct);
            (status, answer, reviewItem, citations, questionText) = (AnswerInquiry.StatusCode(o.Status), o.Answer, o.ReviewItemId, JsonSerializer.Serialize(o.Citations.Select(x => x.Id)), masking.Mask(question));
        }

        var send = status == "answered" && autoReply && sender is not null;
        var state = send ? "reply-pending" : "drafted";
        var replyId = send ? $"inquiry-{inquiryId}@duespilot" : null;
        var itemId = await RecordAsync(key, state, memberId, existing is null && question.Length is 0 or > AnswerInquiry.MaxQuestionLength ? null : inquiryId, answer, replyId, async (c, tx) =>
        {
            var item = reviewItem;
            if (item is null && !send)
            {
                var why = question.Length == 0 ? "The member's e-mail has no question of their own (auto-reply, bare forward or empty)"
                    : question.Length > AnswerInquiry.MaxQuestionLength ? "The member's e-mail is too long for the assistant"
                    : "Reply drafted for staff (Inquiries:Mailbox:AutoReply is off)";
                item = await OpenMailItemAsync(c, tx, key, memberId, why, answer.Length == 0 ? "Read the e-mail and reply to the member." : "Check the drafted reply and send it to the member.",
                    new { from = sender, subject = subjectMasked, question = questionText, draft_answer = answer, citations = JsonSerializer.Deserialize<string[]>(citations) }, 30);
            }

            var note = Truncate($"Support e-mail {DbTime.Format(mail.Date ?? clock.GetUtcNow())} from {sender}, subject \"{subjectMasked}\".\nQuestion: {questionText}\n"
                + $"Answer ({(send ? "sent by e-mail" : "drafted for staff")}): {(answer.Length == 0 ? "none" : answer)}\nEvidence: {string.Join(", ", JsonSerializer.Deserialize<string[]>(citations) ?? [])}", 4000);
            await ImisOutbox.EnqueueAsync(c, tx, clock, MemberNoteKind, $"imis:inquiry-note:{key}", new MemberNote(memberId, "DuesPilot inquiry", note));
            await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(Actor, send ? "inquiry.mail-answered" : "inquiry.mail-drafted", $"mail:{key}", status, memberId,
                JsonSerializer.Serialize(new { from = sender, subject = subjectMasked, question = questionText, inquiry = inquiryId, citations = JsonSerializer.Deserialize<string[]>(citations), review_item = item })));
            return item;
        }, ct);
        return new MailResult(state, memberId, inquiryId, itemId, answer, false);
    }

    private async Task<MailResult> SendReplyAsync(InboundMail mail, MailRow row, IProgress<string>? progress, CancellationToken ct)
    {
        var reply = new MimeMessage();
        reply.From.Add(MailboxAddress.Parse(replyFrom));
        reply.To.Add(MailboxAddress.Parse(row.sender));
        reply.Subject = mail.Subject.StartsWith("re:", StringComparison.OrdinalIgnoreCase) ? mail.Subject : $"Re: {mail.Subject}".TrimEnd();
        reply.MessageId = row.reply_message_id ?? $"inquiry-{row.inquiry_id}@duespilot";
        if (mail.MessageId is { Length: > 0 } original)
        {
            reply.InReplyTo = original;
            reply.References.Add(original);
        }

        reply.Headers.Add("Auto-Submitted", "auto-replied");
        reply.Headers.Add("X-DuesPilot-Inquiry", row.inquiry_id ?? "");
        reply.Body = new TextPart("plain")
        {
            Text = $"{row.reply_text}\n\nIf anything here is not right, reply to this e-mail and a member of staff will look at it.\n",
        };
        try
        {
            await sender!.SendAsync(reply, ct);
        }
        catch (Exception ex) when (ex is MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or IOException or System.Net.Sockets.SocketException or MailKit.Security.AuthenticationException or TimeoutException)
        {
            // Not sent: the row stays reply-pending and the message unmarked, so the next poll tries again.
            progress?.Report($"reply not sent {mail.MailKey}: {ex.Message}");
            return new MailResult("reply-pending", row.member_id, row.inquiry_id, row.review_item_id, row.reply_text, false);
        }

        // Sent: record it even if the poll is being stopped, so a restart does not send it again.
        await store.InTransactionAsync(async (c, tx) =>
        {
            var now = DbTime.Format(clock.GetUtcNow());
            var updated = await c.ExecuteAsync("UPDATE inquiry_mail SET state = 'replied', replied_at = @now WHERE idempotency_key = @key AND state = 'reply-pending'",
                new { now, key = row.idempotency_key }, tx);
            if (updated == 1)
                await AuditTrail.AppendAsync(c, tx, clock, new AuditEvent(Actor, "inquiry.mail-replied", $"mail:{row.idempotency_key}", "sent", row.member_id,
                    JsonSerializer.Serialize(new { to = row.sender, message_id = row.reply_message_id, inquiry = row.inquiry_id })));
            return updated;
        }, CancellationToken.None);
        progress?.Report($"replied {mail.MailKey}");
        return new MailResult("replied", row.member_id, row.inquiry_id, row.review_item_id, row.reply_text, false);
    }

    private async Task<string?> RecordAsync(string key, string state, string? memberId, string? inquiryId, string? replyText, string? replyId,
        Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<string?>> sideEffects, CancellationToken ct) =>
        await store.InTransactionAsync(async (c, tx) =>
        {
            var now = DbTime.Format(clock.GetUtcNow());
            var claimed = await c.ExecuteScalarAsync<string?>("SELECT state FROM inquiry_mail WHERE idempotency_key = @key", new { key }, tx);
            if (claimed != "claimed") return await c.ExecuteScalarAsync<string?>("SELECT review_item_id FROM inquiry_mail WHERE idempotency_key = @key", new { key }, tx);
            var itemId = await sideEffects(c, tx);
            await c.ExecuteAsync(
                """
                UPDATE inquiry_mail SET state = @state, member_id = @memberId, inquiry_id = @inquiryId, review_item_id = @itemId, reply_text = @replyText,
                       reply_message_id = @replyId, processed_at = @now
                WHERE idempotency_key = @key AND state = 'claimed'
                """,
                new { state, memberId, inquiryId, itemId, replyText, replyId, now, key }, tx);
            return itemId;
        }, ct);

    private async Task<string> OpenMailItemAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string key, string? memberId, string reason, string action, object analysis, int priority)
    {
        var now = DbTime.Format(clock.GetUtcNow());
        await c.ExecuteAsync(
            """
            INSERT INTO review_items (item_id, kind, subject_id, member_id, state, priority, confidence, suggested_action, reason, analysis, created_at, updated_at)
            VALUES (@id, 'inquiry', @subject, @memberId, 'open', @priority, '0', @action, @reason, @analysis, @now, @now)
            ON CONFLICT (kind, subject_id) DO NOTHING
            """,
            new { id = Guid.CreateVersion7(clock.GetUtcNow()).ToString("D"), subject = $"mail:{key}", memberId, priority, action, reason, analysis = JsonSerializer.Serialize(analysis), now }, tx);
        return await c.ExecuteScalarAsync<string>("SELECT item_id FROM review_items WHERE kind = 'inquiry' AND subject_id = @subject", new { subject = $"mail:{key}" }, tx) ?? "";
    }

    private Task<MailRow?> LoadAsync(string key, CancellationToken ct) =>
        store.InTransactionAsync((c, tx) => c.QuerySingleOrDefaultAsync<MailRow>("SELECT * FROM inquiry_mail WHERE idempotency_key = @key", new { key }, tx), ct);

    /// <summary>The inquiry id for a message: the same message always gets the same inquiry, so it is answered once.</summary>
    public static string DeterministicId(string idempotencyKey)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("inquiry-mail:" + idempotencyKey)).AsSpan(0, 16).ToArray();
        return new Guid(bytes).ToString("D");
    }

    public static string NormalizeAddress(string from) =>
        MailboxAddress.TryParse(from, out var a) ? a.Address.Trim().ToLowerInvariant() : from.Trim().ToLowerInvariant();

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

#pragma warning disable IDE1006, CA1812 // Dapper maps snake_case columns onto these rows.
    private sealed class MailRow
    {
        public string mail_key { get; set; } = "";
        public string idempotency_key { get; set; } = "";
        public string sender { get; set; } = "";
        public string subject { get; set; } = "";
        public string? member_id { get; set; }
        public string state { get; set; } = "";
        public string? inquiry_id { get; set; }
        public string? review_item_id { get; set; }
        public string? reply_text { get; set; }
        public string? reply_message_id { get; set; }
        public string received_at { get; set; } = "";
        public string processed_at { get; set; } = "";
        public string? replied_at { get; set; }
    }

    private sealed class StoredInquiry
    {
        public string outcome { get; set; } = "";
        public string answer { get; set; } = "";
        public string? review_item_id { get; set; }
        public string citations { get; set; } = "[]";
        public string question_masked { get; set; } = "";
    }
#pragma warning restore IDE1006, CA1812
}

/// <summary>A note on the member's iMIS record (outbox kind <c>member-note</c>).</summary>
public sealed record MemberNote(string MemberId, string Purpose, string Text);
