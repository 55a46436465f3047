using System.Globalization;
using System.Text;
using System.Text.Json;
using DuesPilot.Domain;

namespace DuesPilot.Tooling.Demo;

/// <summary>The files and deliveries of one business day, as the payment channels would send them.</summary>
/// <param name="StripeEvents">charge.succeeded event bodies (to be signed and POSTed to /webhooks/stripe).</param>
/// <param name="LockboxCsv">The bank's lockbox export: one row per check, with what the member wrote on the stub.</param>
/// <param name="AchFile">A NACHA file of ACH credits (CCD+ from employers and members' banks, with RMR remittance).</param>
public sealed record DemoDay(DateOnly Date, IReadOnlyList<string> StripeEvents, byte[] LockboxCsv, byte[] AchFile, int Payments);

/// <summary>
/// Makes a realistic, messy day of dues payments against the association's open invoices: exact card
/// payments, card holders who are a spouse, name-only checks written as "SMITH ROBERT J", short and
/// over payments, one payment for two invoices, employers paying for their people by ACH, and money
/// nobody can attribute. Deterministic for a date and seed, so rerunning the demo on one day is a no-op.
/// </summary>
public static class GenerateDemoDay
{
    public static DemoDay Create(IReadOnlyList<Member> members, IReadOnlyList<Invoice> openInvoices, DateOnly date, int seed = 1, int cardPayments = 30, int checks = 14)
    {
        var random = new Random(seed * 7919 + date.DayNumber);
        var byId = members.ToDictionary(m => m.Id);
        var open = openInvoices.Where(i => i.IsOpen && byId.ContainsKey(i.MemberId)).OrderBy(i => i.Id.Value, StringComparer.Ordinal).ToList();
        var used = new HashSet<InvoiceId>();
        Invoice? Take(Func<Invoice, bool> where)
        {
            var candidates = open.Where(i => !used.Contains(i.Id) && where(i)).ToList();
            if (candidates.Count == 0) return null;
            var pick = candidates[random.Next(candidates.Count)];
            used.Add(pick.Id);
            return pick;
        }

        var stamp = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var dayStart = new DateTimeOffset(date.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero);
        var events = new List<string>();
        for (var n = 0; n < cardPayments; n++)
        {
            var invoice = Take(i => byId[i.MemberId].Kind == PartyKind.Person);
            if (invoice is null) break;
            var member = byId[invoice.MemberId];
            var amount = invoice.Balance;
            string? name = member.FullName;
            string? email = member.Email;
            string? description = "Membership dues";
            var roll = random.Next(100);
            if (roll < 45)
            {
                description = $"Dues {date.Year}";
            }
            else if (roll < 60)
            {
                email = null;
                name = $"{member.FirstName?[..1]} {member.LastName}".Trim();
            }
            else if (roll < 70 && members.FirstOrDefault(o => o.HouseholdId is not null && o.HouseholdId == member.HouseholdId && o.Id != member.Id) is { } spouse)
            {
                name = spouse.FullName;
                email = spouse.Email;
                description = $"dues for {member.FirstName}";
            }
            else if (roll < 75)
            {
                amount = amount.MultiplyFraction(1, 2, Rounding.HalfAwayFromZero);
            }
            else if (roll < 80)
            {
                amount += Money.FromDecimal(5m, amount.Currency);
            }
            else if (roll < 85)
            {
                name = "Pat Unknown";
                email = $"payer{random.Next(1000, 9999)}@mail.example.net";
                description = null;
            }
            else if (Take(i => i.MemberId == member.Id) is { } second)
            {
                amount += second.Balance;
                description = $"Invoices {invoice.Id} and {second.Id}";
            }

            var created = dayStart.AddMinutes(n * 13).ToUnixTimeSeconds();
            var id = $"{stamp}{n:D3}";
            var charge = new Dictionary<string, object?>
            {
                ["id"] = $"ch_demo{id}",
                ["object"] = "charge",
                ["amount"] = amount.MinorUnits,
                ["amount_captured"] = amount.MinorUnits,
                ["captured"] = true,
                ["currency"] = amount.Currency.Code.ToLowerInvariant(),
                ["payment_intent"] = $"pi_demo{id}",
                ["billing_details"] = new Dictionary<string, object?> { ["name"] = name, ["email"] = email },
                ["description"] = description,
                ["metadata"] = new Dictionary<string, string>(),
                ["payment_method_details"] = new Dictionary<string, object?> { ["type"] = "card", ["card"] = new Dictionary<string, object?> { ["brand"] = "visa", ["last4"] = "4242" } },
                ["created"] = created,
            };
            events.Add(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["id"] = $"evt_demo{id}",
                ["object"] = "event",
                ["type"] = "charge.succeeded",
                ["api_version"] = "2024-06-20",
                ["created"] = created,
                ["livemode"] = false,
                ["pending_webhooks"] = 1,
                ["data"] = new Dictionary<string, object?> { ["object"] = charge },
            }));
        }

        var csv = new StringBuilder("Deposit Date,Check Number,Amount,Payer Name,Memo\n");
        var payments = events.Count;
        for (var n = 0; n < checks; n++)
        {
            var invoice = Take(_ => true);
            if (invoice is null) break;
            var member = byId[invoice.MemberId];
            var payer = member.Kind == PartyKind.Person && random.Next(2) == 0
                ? $"{member.LastName} {member.FirstName}".ToUpperInvariant()
                : member.FullName.ToUpperInvariant();
            var memo = random.Next(4) switch
            {
                0 => $"INV {invoice.Id}",
                1 => "membership dues",
                2 => $"dues {date.Year}",
                _ => "",
            };
            var amount = random.Next(10) == 0 ? invoice.Balance - Money.FromDecimal(1.5m, invoice.Balance.Currency) : invoice.Balance;
            csv.Append(CultureInfo.InvariantCulture, $"{date:yyyy-MM-dd},{20000 + date.DayOfYear * 100 + n},{amount.ToPlainString()},\"{payer}\",\"{memo}\"\n");
            payments++;
        }

        int Available(Func<Invoice, bool> where) => open.Count(i => !used.Contains(i.Id) && where(i));
        var ach = Nacha(date, byId, members, Take, Available, random, ref payments);
        return new DemoDay(date, events, Encoding.UTF8.GetBytes(csv.ToString()), ach, payments);
    }

    /// <summary>A NACHA file with one CCD credit batch per paying organization or bank customer.</summary>
    private static byte[] Nacha(DateOnly date, Dictionary<MemberId, Member> byId, IReadOnlyList<Member> members, Func<Func<Invoice, bool>, Invoice?> take, Func<Func<Invoice, bool>, int> available, Random random, ref int payments)
    {
        var lines = new List<string>();
        var yymmdd = date.ToString("yyMMdd", CultureInfo.InvariantCulture);
        lines.Add(Pad($"101 0910000191234567890{yymmdd}0600A094101{"FIRST EXAMPLE BANK",-23}{"ASSOCIATION OPERATING",-23}{"",8}"));
        long fileHash = 0, fileCredit = 0;
        var batches = 0;
        var entriesAndAddenda = 0;
        var payers = new List<(string Company, string Individual, Money Amount, string Remittance)>();

        // Employers paying for the employees they name. One that still has two or more of its people to pay for
        // goes first, so every day's file holds a remittance listing several invoices under one total.
        var employers = members.Where(m => m.Kind == PartyKind.Organization).OrderBy(m => m.Id.Value, StringComparer.Ordinal).ToList();
        var staffOf = employers.ToDictionary(o => o.Id, o => members.Where(p => p.OrganizationId == o.Id).Select(p => p.Id).ToList());
        if (employers.FirstOrDefault(o => staffOf[o.Id].Count(s => available(i => i.MemberId == s) > 0) >= 2) is { } several)
            employers = [several, .. employers.Where(o => o != several)];
        foreach (var org in employers)
        {
            if (payers.Count >= 3) break;
            var invoices = new List<Invoice>();
            foreach (var person in staffOf[org.Id])
                if (take(i => i.MemberId == person) is { } inv) invoices.Add(inv);
            if (invoices.Count == 0) continue;
            static string Rmr(List<Invoice> list) =>
                $"RMR*IV*{string.Join(",", list.Select(i => i.Id.Value))}**{Money.Sum(list.Select(i => i.Balance), list[0].Balance.Currency).ToPlainString()}\\";
            // A CCD+ addenda carries 80 characters: the remittance lists only the invoices its one segment can hold.
            while (invoices.Count > 1 && Rmr(invoices).Length > 80) invoices.RemoveAt(invoices.Count - 1);
            var names = string.Join(", ", invoices.Take(3).Select(i => byId[i.MemberId].FullName.ToUpperInvariant()));
            payers.Add((org.FullName.ToUpperInvariant(), "", Money.Sum(invoices.Select(i => i.Balance), invoices[0].Balance.Currency), $"{Rmr(invoices)} DUES FOR {names}"));
        }

        // Members paying from their own bank (bill pay / ACH credit), often with the invoice number.
        for (var n = 0; n < 6; n++)
        {
            var invoice = take(_ => true);
            if (invoice is null) break;
            var member = byId[invoice.MemberId];
            payers.Add((member.FullName.ToUpperInvariant(), member.FullName.ToUpperInvariant(), invoice.Balance,
                random.Next(2) == 0 ? $"RMR*IV*{invoice.Id}**{invoice.Balance.ToPlainString()}\\" : "MEMBERSHIP DUES"));
        }

        foreach (var (company, individual, amount, remittance) in payers)
        {
            batches++;
            var batchNo = batches.ToString("D7", CultureInfo.InvariantCulture);
            lines.Add(Pad($"5220{Cut(company, 16),-16}{"",20}{"1" + (100000000 + batches).ToString(CultureInfo.InvariantCulture)[..9],-10}CCD{"DUES",-10}{yymmdd}{yymmdd}   109100001{batchNo}"));
            var trace = $"09100001{batches:D7}";
            const string rdfi = "02100002";
            lines.Add(Pad($"622{rdfi}1{"000123456789",-17}{amount.MinorUnits,10:D10}{"M" + batches.ToString("D6", CultureInfo.InvariantCulture),-15}{Cut(individual.Length > 0 ? individual : company, 22),-22}  1{trace}"));
            lines.Add(Pad($"705{Cut(remittance, 80),-80}0001{trace[^7..]}"));
            var hash = long.Parse(rdfi, CultureInfo.InvariantCulture);
            lines.Add(Pad($"8220{2,6:D6}{hash,10:D10}{0,12:D12}{amount.MinorUnits,12:D12}{"1" + (100000000 + batches).ToString(CultureInfo.InvariantCulture)[..9],-10}{"",19}{"",6}09100001{batchNo}"));
            fileHash += hash;
            fileCredit += amount.MinorUnits;
            entriesAndAddenda += 2;
            payments++;
        }

        var records = lines.Count + 1;
        var blocks = (records + 9) / 10;
        lines.Add(Pad($"9{batches,6:D6}{blocks,6:D6}{entriesAndAddenda,8:D8}{fileHash % 10_000_000_000,10:D10}{0,12:D12}{fileCredit,12:D12}{"",39}"));
        while (lines.Count % 10 != 0) lines.Add(new string('9', 94));
        return Encoding.ASCII.GetBytes(string.Join("\n", lines) + "\n");
    }

    private static string Cut(string s, int n)
    {
        var ascii = new string(s.Where(c => c is >= ' ' and <= '~').ToArray());
        return ascii.Length <= n ? ascii : ascii[..n];
    }

    private static string Pad(string line) =>
        line.Length == 94 ? line : throw new InvalidOperationException($"NACHA record of {line.Length} characters, not 94: '{line}'");
}
