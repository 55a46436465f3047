using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DuesPilot.Ai;
using DuesPilot.Domain;
using DuesPilot.Features.Inquiries;
using DuesPilot.Features.Invoicing;
using DuesPilot.Persistence;
using DuesPilot.Tooling.Ai;
using Spectre.Console;

namespace DuesPilot.Cli.Commands;

/// <summary><c>duespilot bench ai</c>: masking throughput, policy retrieval and deterministic inquiry answers per second.</summary>
public static class BenchAi
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Golden set folder (default tests/DuesPilot.Ai.Tests/Data)." };
        var rounds = new Option<int>("--rounds") { Description = "Passes over the golden questions.", DefaultValueFactory = _ => 5 };
        var command = new Command("ai", "Masking, policy retrieval and billing-assistant answers per second (no model).") { data, rounds };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(data) ?? Path.Combine(Environment.CurrentDirectory, "tests", "DuesPilot.Ai.Tests", "Data");
            if (!File.Exists(Path.Combine(folder, "inquiries.json"))) throw new UserInputException($"no golden set in '{folder}' (use --data)");
            var n = Math.Max(1, parse.GetValue(rounds));
            var table = new Table().AddColumns(new TableColumn("What"), new TableColumn("Count").RightAligned(), new TableColumn("Seconds").RightAligned(), new TableColumn("Per second").RightAligned());

            var memos = MemoCase.Load(Path.Combine(folder, "memos.json")).Select(m => m.Memo + " " + m.Payer).ToList();
            var texts = Enumerable.Range(0, 2000).Select(i => memos[i % memos.Count] + $" card 4111 1111 1111 1111 call (312) 555-{i % 10000:D4} mail x{i}@example.org").ToList();
            var sw = Stopwatch.StartNew();
            foreach (var t in texts) new MaskingSession().Mask(t);
            Row(table, "mask a memo (cards, phones, e-mails)", texts.Count, sw.Elapsed);

            sw.Restart();
            var policies = PolicyLibrary.Embedded(MiniLmEmbedder.Shared);
            policies.Search("warm-up", 1);
            Row(table, "load MiniLM + embed policy paragraphs", policies.Paragraphs.Count, sw.Elapsed);
            var questions = InquiryCase.Load(Path.Combine(folder, "inquiries.json"));
            sw.Restart();
            foreach (var q in questions) policies.Search(q.Question, 2);
            Row(table, "retrieve policy paragraphs for a question", questions.Count, sw.Elapsed);

            var work = Directory.CreateTempSubdirectory("duespilot-bench-ai-").FullName;
            try
            {
                await using var store = await Store.OpenAsync(new StoreOptions(work), ct);
                var association = GoldenAssociation.Load(Path.Combine(folder, "association.json"));
                await association.SeedAsync(store);
                var clock = new FixedClock(association.Today);
                var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
                var handler = new AnswerInquiry(store, clock, new InquiryOptions(key), policies, new PolicyExpectedDues(LoadBillingPolicy.Example()), GovernedModel.Off(store, clock));
                var tokens = new MemberToken(key);
                sw.Restart();
                var count = 0;
                for (var r = 0; r < n; r++)
                {
                    foreach (var q in questions)
                    {
                        await handler.HandleAsync(new AnswerInquiry.Request(tokens.Issue(new MemberId(q.Member), clock.GetUtcNow().AddHours(1)), q.Question), ct);
                        count++;
                    }
                }

                Row(table, "answer a question (SQLite, logged + audited)", count, sw.Elapsed);
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(work, true);
            }

            Out.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static void Row(Table table, string what, int count, TimeSpan elapsed) =>
        table.AddRow(what, count.ToString(CultureInfo.InvariantCulture), elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
            (count / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("F0", CultureInfo.InvariantCulture));
}
