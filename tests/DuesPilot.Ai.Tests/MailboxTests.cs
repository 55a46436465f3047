using Dapper;
using DuesPilot.Ai;
using DuesPilot.Features.Collections.Dunning;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Inquiries.Mail;
using DuesPilot.Persistence;
using DuesPilot.TestSupport;
using DuesPilot.Tooling.Ai;
using DuesPilot.Tooling.Mail;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace DuesPilot.Ai.Tests;

/// <summary>The support mailbox against a real IMAP server (dovecot) and the SMTP sink: each e-mail answered or drafted once, across a restart in the middle of a poll.</summary>
public sealed class MailboxTests
{
    [Fact]
    public async Task MembersMails_AnsweredOrDraftedOnce_AcrossARestartInTheMiddleOfThePoll()
    {
        await using var imap = await DovecotServer.StartAsync();
        await using var smtp = LocalSmtpSink.Start();
        var storeOptions = await TestStores.CreateOptionsAsync(StoreEngine.Sqlite);
        var options = new InquiryMailboxOptions("127.0.0.1", imap.Port, imap.User, imap.Password, Security: "none");
        options.Validate();

        await using (var seed = await Store.OpenAsync(storeOptions)) await GoldenStore.Data.SeedAsync(seed);
        await imap.DeliverAsync(Mail("dana.whitfield@example.org", "My dues", "Hi,\n\nHow much do I owe?\n\nThanks\nDana\n\nOn Mon, Nov 23, 2026 at 9:00 AM Membership <dues@association.example.test> wrote:\n> I was charged twice", "m1"));
        await imap.DeliverAsync(Mail("mbell@students.example.edu", "expiry", "When does my membership expire?", "m2"));
        await imap.DeliverAsync(Mail("grace.kim@example.org", "Paid twice", "I paid my dues twice by card in March, please refund one.", "m3"));
        await imap.DeliverAsync(Mail("someone@unknown.example", "balance", "How much do I owe? I'm member 10231.", "m4"));

        // First run: stopped right after the second message was answered, before its reply went out and before it was marked done.
        using (var stop = new CancellationTokenSource())
        {
            await using var store = await Store.OpenAsync(storeOptions);
            var steps = new StopAt("answered INBOX/", 2, stop);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PollInquiryMailbox.HandleAsync(options, Handler(store, smtp), steps, stop.Token));
            Assert.Single(smtp.Messages); // Dana's reply; Marcus's answer is stored, its reply not sent yet
        }

        // The service starts again: a new store connection, new handlers, the same mailbox.
        await using (var store = await Store.OpenAsync(storeOptions))
        {
            var second = await PollInquiryMailbox.HandleAsync(options, Handler(store, smtp));
            Assert.Equal(3, second.Seen); // Dana's message was marked done before the stop
            var third = await PollInquiryMailbox.HandleAsync(options, Handler(store, smtp));
            Assert.Equal(0, third.Seen);

            // Two confident answers, each sent once, as replies to the member's own message.
            var replies = smtp.Messages.OrderBy(m => m.To.Mailboxes.First().Address, StringComparer.Ordinal).ToList();
            Assert.Equal(["dana.whitfield@example.org", "mbell@students.example.edu"], replies.Select(r => r.To.Mailboxes.Single().Address));
            Assert.Contains("$420.00", replies[0].TextBody, StringComparison.Ordinal);
            Assert.Contains("INV-27-1001", replies[0].TextBody, StringComparison.Ordinal);
            Assert.Equal("m1@members.example", replies[0].InReplyTo);
            Assert.Contains("December 31, 2026", replies[1].TextBody, StringComparison.Ordinal);

            var rows = await store.InTransactionAsync(async (c, tx) => (await c.QueryAsync<(string Sender, string State, string? Member, string? Item)>(
                "SELECT sender, state, member_id, review_item_id FROM inquiry_mail ORDER BY sender", transaction: tx)).ToList());
            Assert.Equal(
                [("dana.whitfield@example.org", "replied", "10231"), ("grace.kim@example.org", "drafted", "10733"), ("mbell@students.example.edu", "replied", "10348"), ("someone@unknown.example", "unidentified", null)],
                rows.Select(r => (r.Sender, r.State, r.Member)));

            // Grace's duplicate payment: a discrepancy item naming both payments, the reply drafted on it.
            var grace = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string? Member, string Action, string Analysis)>(
                "SELECT member_id, suggested_action, analysis FROM review_items WHERE item_id = @id", new { id = rows[1].Item }, tx));
            Assert.Equal("10733", grace.Member);
            Assert.Contains("ch_3Pk2aL2Vb7mGrc01", grace.Action, StringComparison.Ordinal);
            Assert.Contains("ch_3Pk9bL2Vb7mGrc02", grace.Action, StringComparison.Ordinal);
            Assert.Contains("draft_answer", grace.Analysis, StringComparison.Ordinal);

            // The stranger: staff, no member, nothing about member 10231 anywhere a reply could carry it.
            var stranger = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<(string? Member, string Reason)>(
                "SELECT member_id, reason FROM review_items WHERE item_id = @id", new { id = rows[3].Item }, tx));
            Assert.Null(stranger.Member);
            Assert.Contains("no member", stranger.Reason, StringComparison.Ordinal);

            // Once each: inquiries, iMIS notes (thread, answer, evidence) and audit.
            var counts = await store.InTransactionAsync(async (c, tx) => (
                Inquiries: await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inquiries WHERE channel = 'email'", transaction: tx),
                Notes: await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM imis_outbox WHERE kind = 'member-note'", transaction: tx),
                Replied: await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'inquiry.mail-replied'", transaction: tx),
                Drafted: await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'inquiry.mail-drafted'", transaction: tx)));
            Assert.Equal((3L, 3L, 2L, 1L), counts);
            var note = await store.InTransactionAsync((c, tx) => c.QuerySingleAsync<string>("SELECT payload FROM imis_outbox WHERE kind = 'member-note' AND payload LIKE '%10231%'", transaction: tx));
            Assert.Contains("How much do I owe?", note, StringComparison.Ordinal);
            Assert.Contains("invoice:INV-27-1001", note, StringComparison.Ordinal);
            Assert.DoesNotContain("I was charged twice", note, StringComparison.Ordinal);
        }

        Assert.All((await imap.KeywordsAsync()).Values, k => Assert.Contains(PollInquiryMailbox.DoneKeyword, k));
    }

    [Theory]
    [InlineData(StoreEngine.Sqlite)]
    [InlineData(StoreEngine.Postgres)]
    public async Task OneMessage_DeliveredTwiceUnderTwoUids_IsAnsweredOnce(StoreEngine engine)
    {
        await using var store = await TestStores.CreateAsync(engine);
        await GoldenStore.Data.SeedAsync(store);
        var sent = new Kept();
        var clock = new FakeTimeProvider(GoldenStore.Data.Today);
        var handler = new AnswerInquiryMail(store, clock, AiEvaluation.Assistant(store, clock, new InquiryOptions(Convert.ToBase64String(new byte[48])), GovernedModel.Off(store, clock)), sent, "dues@association.example.test");

        var first = await handler.HandleAsync(new InboundMail("INBOX/7/1", "<q1@members.example>", "Dana Whitfield <DANA.WHITFIELD@example.org>", "Balance", "How much do I owe?"));
        var copy = await handler.HandleAsync(new InboundMail("INBOX/7/2", "<q1@members.example>", "dana.whitfield@example.org", "Balance", "How much do I owe?"));

        Assert.Equal(("replied", false, "10231"), (first.State, first.AlreadyDone, first.MemberId));
        Assert.Equal(("replied", true), (copy.State, copy.AlreadyDone));
        var reply = Assert.Single(sent.Messages);
        Assert.Equal("dana.whitfield@example.org", reply.To.Mailboxes.Single().Address);
        Assert.Equal("Re: Balance", reply.Subject);
        Assert.Equal(1L, await store.InTransactionAsync((c, tx) => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM inquiries WHERE channel = 'email'", transaction: tx)));
    }

    [Fact]
    public void MailboxOptions_AreValidatedAtStart()
    {
        Assert.Null(InquiryMailboxOptions.FromConfiguration(Config()));
        Assert.Contains("User", Assert.Throws<InvalidOperationException>(() => InquiryMailboxOptions.FromConfiguration(Config(("Host", "imap.example.org")))).Message, StringComparison.Ordinal);
        Assert.Contains("Password", Assert.Throws<InvalidOperationException>(() => InquiryMailboxOptions.FromConfiguration(Config(("Host", "imap.example.org"), ("User", "support")))).Message, StringComparison.Ordinal);
        Assert.Contains("Port", Assert.Throws<InvalidOperationException>(() => InquiryMailboxOptions.FromConfiguration(Config(("Host", "h"), ("User", "u"), ("Password", "p"), ("Port", "70000")))).Message, StringComparison.Ordinal);
        var ok = InquiryMailboxOptions.FromConfiguration(Config(("Host", "imap.example.org"), ("User", "support"), ("Password", "s3cret"), ("Folder", "Billing")))!;
        Assert.Equal(("imap.example.org", 993, "Billing", true), (ok.Host, ok.Port, ok.Folder, ok.AutoReply));
        Assert.DoesNotContain("s3cret", ok.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Question", "How much do I owe?\n\n-- \nEmma\nAccounts Payable, Refund Inc.", "Question. How much do I owe?")]
    [InlineData("Re: split", "And when is it due?\n\nOn Mon, Nov 30, 2026 at 9:14 AM Office <d@x.test> wrote:\n> cannot be split into installments", "And when is it due?")]
    [InlineData("Fwd: invoice", "What is this line?\n\n---------- Forwarded message ---------\nFrom: Office\nI paid twice", "What is this line?")]
    [InlineData("Fwd: invoice", "---------- Forwarded message ---------\nFrom: Office\nInvoice INV-1", "")]
    [InlineData("RE: payment", "One more: when?\r\n\r\n________________________________\r\nFrom: Office\r\nSent: Monday", "One more: when?")]
    [InlineData("Receipt for taxes", "Thanks,\nFrank", "Receipt for taxes. Thanks, Frank")]
    public void MailQuestion_IsWhatTheMemberWrote(string subject, string body, string expected) =>
        Assert.Equal(expected, MailQuestion.Extract(subject, body));

    private static AnswerInquiryMail Handler(Store store, LocalSmtpSink smtp)
    {
        var clock = new FakeTimeProvider(GoldenStore.Data.Today);
        var assistant = AiEvaluation.Assistant(store, clock, new InquiryOptions(Convert.ToBase64String(new byte[48])), GovernedModel.Off(store, clock));
        return new AnswerInquiryMail(store, clock, assistant, new SmtpInquiryReplies(smtp.Options()), "dues@association.example.test");
    }

    private static MimeMessage Mail(string from, string subject, string body, string id)
    {
        var m = new MimeMessage { Subject = subject, MessageId = $"{id}@members.example", Body = new TextPart("plain") { Text = body } };
        m.From.Add(MailboxAddress.Parse(from));
        m.To.Add(MailboxAddress.Parse("dues@association.example.test"));
        return m;
    }

    private static Microsoft.Extensions.Configuration.IConfiguration Config(params (string Key, string Value)[] values) =>
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(),
            values.Select(v => new KeyValuePair<string, string?>($"Inquiries:Mailbox:{v.Key}", v.Value))).Build();

    private sealed class Kept : IInquiryReplySender
    {
        public List<MimeMessage> Messages { get; } = [];

        public Task SendAsync(MimeMessage reply, CancellationToken ct)
        {
            Messages.Add(reply);
            return Task.CompletedTask;
        }
    }

    /// <summary>Stops the poll (as a crash would) the Nth time a step with this prefix is reported, synchronously.</summary>
    private sealed class StopAt(string prefix, int nth, CancellationTokenSource stop) : IProgress<string>
    {
        private int _seen;

        public void Report(string value)
        {
            if (value.StartsWith(prefix, StringComparison.Ordinal) && ++_seen == nth) stop.Cancel();
        }
    }
}
