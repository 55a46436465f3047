using System.Globalization;
using Bogus;
using DuesPilot.Features.Matching;

namespace DuesPilot.Tooling.Golden;

/// <summary>
/// Writes a golden dataset (shared/formats/golden-dataset.md) that shares nothing with the matching
/// engine: people's names come from Bogus's English name data (the engine reads census/SSA tables),
/// nicknames from <see cref="GoldenWordings.Nicknames"/> (written here by hand, not the engine's list),
/// memo wordings from <see cref="GoldenWordings"/>. Each payment is built from a scenario ("case"),
/// and its truth is what a careful clerk would do in that scenario, decided here from the scenario
/// and the association's data, never by asking the engine. truth.csv carries an extra <c>case</c>
/// column (the format ignores unknown columns) so <c>eval</c> can report coverage per case.
/// Deterministic for a seed.
/// </summary>
public static class GoldenSetGenerator
{
    /// <summary>The scenarios, with their share of payments. Every name here appears in truth.csv's <c>case</c> column.</summary>
    public static readonly IReadOnlyList<(string Case, double Weight)> Cases =
    [
        ("own-invoice-ref", 0.12), ("own-email", 0.07), ("own-name", 0.10), ("namesake", 0.04), ("processor", 0.05),
        ("dues-plus-donation", 0.03), ("transposed-digits", 0.03), ("unlisted-nickname", 0.03), ("free-text", 0.04),
        ("tolerance-inside", 0.03), ("tolerance-outside", 0.03), ("unrelated-payer", 0.03), ("third-party-id", 0.04),
        ("conflict", 0.02), ("chapter-list", 0.04), ("employer-list", 0.05), ("household", 0.04), ("organization-own", 0.02),
        ("duplicate", 0.02), ("advance", 0.02), ("stranger", 0.02), ("structured-remittance", 0.04),
    ];

    private sealed class Party
    {
        public string Id = "", Kind = "person", Full = "", First = "", Last = "", Email = "", Org = "", Household = "", Chapter = "", Type = "REG";
        public List<Bill> Bills = [];
        public bool Touched;
    }

    private sealed class Bill(string id, Party owner, decimal balance, DateOnly due)
    {
        public string Id { get; } = id;
        public Party Owner { get; } = owner;
        public decimal Balance { get; set; } = balance;
        public DateOnly Due { get; } = due;
    }

    private static readonly (string Type, decimal Dues)[] Tiers = [("REG", 425m), ("REG", 425m), ("REG", 425m), ("ASSOC", 275m), ("STU", 60m), ("RET", 180m), ("EMER", 210m)];
    private static readonly decimal[] StrangerAmounts = [50m, 75m, 150m, 500m, 425m];
    private static readonly string[] StrangerMemos = ["", "donation", "in memory of my father", "payment", "gift"];
    private static readonly decimal[] Gifts = [25m, 50m, 100m, 20m];
    private static readonly decimal[] ExtraCharges = [40m, 65m, 90m, 135m, 160m, 225m];
    private static readonly (string Code, string Name)[] ChapterDefs =
    [
        ("SW", "Southwest Chapter"), ("NE", "Northeast Chapter"), ("GL", "Great Lakes Chapter"), ("PNW", "Pacific Northwest Chapter"),
        ("MA", "Mid-Atlantic Chapter"), ("SE", "Southeast Chapter"), ("RM", "Rocky Mountain Chapter"), ("GC", "Gulf Coast Chapter"),
    ];

    /// <param name="invoiceTarget">When above what members get naturally, extra open invoices (events) are added up to it.</param>
    public static void Generate(string folder, int memberCount, int paymentCount, int seed, int invoiceTarget = 0)
    {
        var rng = new Random(seed);
        var faker = new Faker("en") { Random = new Randomizer(seed) };
        var used = new HashSet<string>(StringComparer.Ordinal);
        string NewNumber(int lo, int hi)
        {
            string id;
            do id = rng.Next(lo, hi).ToString(CultureInfo.InvariantCulture);
            while (!used.Add(id));
            return id;
        }

        var chapters = ChapterDefs.Select(c => new Party { Id = NewNumber(100000, 999999), Kind = "organization", Full = c.Name, Chapter = c.Code, Type = "CHAP", Email = $"treasurer.{c.Code.ToLowerInvariant()}@chapters.example.org" }).ToList();
        var orgs = new List<Party>();
        var orgNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var orgTarget = Math.Max(6, memberCount / 45);
        for (var tries = 0; orgs.Count < orgTarget && tries < orgTarget * 20; tries++)
        {
            var name = faker.Company.CompanyName();
            if (!orgNames.Add(name)) continue;
            var domain = new string(name.Where(char.IsLetter).ToArray()).ToLowerInvariant();
            orgs.Add(new Party { Id = NewNumber(100000, 999999), Kind = "organization", Full = name, Type = "CORP", Email = rng.NextDouble() < 0.6 ? $"payables@{domain}.com" : "" });
        }

        var people = new List<Party>();
        var emails = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Party NewPerson(string first, string last)
        {
            var p = new Party { Id = NewNumber(100000, 999999), First = first, Last = last, Type = Tiers[rng.Next(Tiers.Length)].Type };
            p.Full = rng.NextDouble() switch { < 0.15 => $"{first} {(char)('A' + rng.Next(26))}. {last}", < 0.18 => $"{first} {last} Jr.", _ => $"{first} {last}" };
            if (rng.NextDouble() < 0.7)
            {
                var mail = MailFor(rng, first, last);
                if (emails.Add(mail)) p.Email = mail;
            }

            if (rng.NextDouble() < 0.5) p.Chapter = chapters[rng.Next(chapters.Count)].Chapter;
            if (rng.NextDouble() < 0.3 && orgs.Count > 0) p.Org = orgs[rng.Next(orgs.Count)].Id;
            people.Add(p);
            return p;
        }

        var target = memberCount - orgs.Count - chapters.Count;
        while (people.Count < target)
        {
            var roll = rng.NextDouble();
            if (roll < 0.025 && people.Count > 10)
            {
                // A namesake: same given name and surname as someone already on file.
                var twin = people[rng.Next(people.Count)];
                NewPerson(twin.First, twin.Last);
                continue;
            }

            var p = NewPerson(faker.Name.FirstName(), faker.Name.LastName());
            if (roll > 0.92 && people.Count < target)
            {
                // A family account: a partner (usually the same surname) and sometimes a child member.
                var partnerLast = rng.NextDouble() < 0.8 ? p.Last : faker.Name.LastName();
                var partner = NewPerson(faker.Name.FirstName(), partnerLast);
                partner.Chapter = p.Chapter;
                p.Household = partner.Household = "HH" + p.Id;
                if (rng.NextDouble() < 0.25 && people.Count < target)
                {
                    var child = NewPerson(faker.Name.FirstName(), p.Last);
                    child.Type = "STU";
                    child.Household = p.Household;
                }
            }
        }

        // Open invoices: most people owe this year's dues, some an event charge or last year's too.
        var start = new DateOnly(2025, 7, 1);
        var invoiceRows = new List<string[]>();
        var allBills = new Dictionary<string, Bill>(StringComparer.Ordinal);
        void AddBill(Party p, decimal amount, decimal balance, DateOnly date, string product, string description)
        {
            var id = rng.NextDouble() switch
            {
                < 0.45 => NewNumber(10000, 999999),
                < 0.85 => $"CASH:{p.Id}:{date:yyyyMMdd}-{p.Bills.Count + 1}",
                _ => "Cash-" + NewNumber(10000, 99999),
            };
            if (!used.Add(id) && !id.All(char.IsDigit)) id += "A";
            var bill = new Bill(id, p, balance, date.AddDays(30));
            p.Bills.Add(bill);
            allBills[id] = bill;
            invoiceRows.Add([id, p.Id, D(date), D(date.AddDays(30)), M(amount), M(balance), product, description]);
        }

        foreach (var p in people.Concat(orgs))
        {
            var dues = p.Kind == "organization" ? 1850m : Tiers.First(t => t.Type == p.Type).Dues;
            var n = rng.NextDouble() switch { < 0.15 => 0, < 0.84 => 1, < 0.96 => 2, _ => 3 };
            for (var k = 0; k < n; k++)
            {
                var date = start.AddDays(rng.Next(0, 150) - 365 * (n - 1 - k));
                var amount = k == 0 ? dues : ExtraCharges[rng.Next(ExtraCharges.Length)];
                var balance = rng.NextDouble() < 0.06 ? amount - Math.Round(amount * 0.3m, 0) : amount;
                AddBill(p, amount, balance, date, k == 0 ? $"DUES-{p.Type}" : "EVENT", k == 0 ? $"{date.Year} dues" : "Conference registration");
            }
        }

        var withBills = people.Where(p => p.Bills.Count > 0).ToList();
        while (invoiceRows.Count < invoiceTarget && withBills.Count > 0)
        {
            var p = withBills[rng.Next(withBills.Count)];
            var amount = ExtraCharges[rng.Next(ExtraCharges.Length)];
            AddBill(p, amount, amount, start.AddDays(rng.Next(0, 150)), "EVENT", "Workshop fee");
        }

        var memberRows = people.Concat(orgs).Concat(chapters).Select(p => new[]
        {
            p.Id, p.Kind, p.Full, p.Kind == "person" ? p.First : "", p.Kind == "person" ? p.Last : "", p.Email, p.Org, p.Household, p.Chapter, p.Type,
            D(start.AddDays(-rng.Next(60, 5000))), D(new DateOnly(2025, 12, 31)), rng.NextDouble() < 0.92 ? "A" : "L",
        }).ToList();

        var world = new World(rng, faker, people, orgs, chapters, allBills);
        var payments = new List<string[]>();
        var truth = new List<string[]>();
        var day = new DateOnly(2025, 9, 1);
        var attempts = 0;
        var misses = 0;
        while (payments.Count < paymentCount && attempts++ < paymentCount * 200)
        {
            // Once nearly every member has been paid for (large payment counts), only repeats and strangers remain to be made.
            var scenario = misses > 1000 ? (rng.Next(2) == 0 ? "duplicate" : "stranger") : PickCase(rng);
            var id = $"G{seed}-{payments.Count + 1:D6}";
            var made = world.Make(scenario, id);
            if (made is null)
            {
                misses++;
                continue;
            }

            misses = 0;
            var (p, rows) = made.Value;
            payments.Add([id, D(day.AddDays(payments.Count * 45 / Math.Max(1, paymentCount))), M(p.Amount), "USD", p.Method, p.Payer, p.Email, p.Reference, p.Memo]);
            truth.AddRange(rows);
        }

        GoldenDatasetFiles.Write(folder, memberRows, invoiceRows, payments, truth);
    }

    private static string PickCase(Random rng)
    {
        var total = Cases.Sum(c => c.Weight);
        var x = rng.NextDouble() * total;
        foreach (var (name, weight) in Cases)
        {
            if (x < weight) return name;
            x -= weight;
        }

        return Cases[^1].Case;
    }

    private sealed record Made(decimal Amount, string Method, string Payer, string Email, string Reference, string Memo);

    /// <summary>The association during payment generation: who is still untouched, what is still owed, how names resolve.</summary>
    private sealed class World
    {
        private readonly Random rng;
        private readonly Faker faker;
        private readonly List<Party> people;
        private readonly List<Party> orgs;
        private readonly List<Party> chapters;
        private readonly Dictionary<string, Bill> bills;
        private readonly Dictionary<string, List<Party>> byFullName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Party>> byHousehold;
        private readonly Dictionary<string, List<Party>> byOrg;
        private readonly Dictionary<string, List<Party>> byChapter;
        private readonly List<Party> fresh;
        private readonly HashSet<string> knownSurnames;
        private readonly List<(Made Payment, List<string[]> Truth, Party Member)> applied = [];
        private readonly HashSet<string> memberIds;
        private readonly List<List<Party>> namesakes;
        private readonly List<Party> idle;

        public World(Random rng, Faker faker, List<Party> people, List<Party> orgs, List<Party> chapters, Dictionary<string, Bill> bills)
        {
            this.rng = rng;
            this.faker = faker;
            this.people = people;
            this.orgs = orgs;
            this.chapters = chapters;
            this.bills = bills;
            foreach (var p in people) Add(byFullName, Key(p.First, p.Last), p);
            byHousehold = people.Where(p => p.Household.Length > 0).GroupBy(p => p.Household).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            byOrg = people.Where(p => p.Org.Length > 0).GroupBy(p => p.Org).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            byChapter = people.Where(p => p.Chapter.Length > 0).GroupBy(p => p.Chapter).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            fresh = people.Where(p => Open(p).Count > 0).ToList();
            knownSurnames = people.Select(p => p.Last.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
            memberIds = people.Concat(orgs).Concat(chapters).Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            namesakes = byFullName.Values.Where(g => g.Count > 1).ToList();
            idle = people.Where(p => Open(p).Count == 0 && p.Email.Length > 0).ToList();
        }

        private static string Key(string first, string last) => (first + " " + last).ToUpperInvariant();

        private static List<Bill> Open(Party p) => p.Bills.Where(b => b.Balance > 0).OrderBy(b => b.Due).ToList();

        private static decimal Owed(Party p) => Open(p).Sum(b => b.Balance);

        /// <summary>An untouched person with open invoices, or null when they have run out.</summary>
        private Party? Fresh(Func<Party, bool>? filter = null)
        {
            for (var tries = 0; tries < 40 && fresh.Count > 0; tries++)
            {
                var i = rng.Next(fresh.Count);
                var p = fresh[i];
                if (p.Touched || Open(p).Count == 0) { fresh[i] = fresh[^1]; fresh.RemoveAt(fresh.Count - 1); continue; }
                if (filter is null || filter(p)) return p;
            }

            return null;
        }

        /// <summary>Whether a clerk could tell from the name (and the amount) which member paid: one bearer, or one bearer owing the amount.</summary>
        private bool NameSettles(Party p, decimal amount)
        {
            var bearers = byFullName[Key(p.First, p.Last)];
            if (bearers.Count == 1) return true;
            return bearers.Count(b => Fits(b, amount) is not null) == 1 && Fits(p, amount) is not null;
        }

        /// <summary>The invoices a clerk would pay with this amount: one open invoice of that balance (the oldest), or everything open.</summary>
        private static List<Bill>? Fits(Party p, decimal amount)
        {
            var open = Open(p);
            var single = open.FirstOrDefault(b => b.Balance == amount);
            if (single is not null) return [single];
            return open.Count > 1 && open.Sum(b => b.Balance) == amount ? open : null;
        }

        private List<string[]> Apply(string id, string kase, IEnumerable<Bill> paid, Made payment, Party member, decimal? credit = null)
        {
            var rows = new List<string[]>();
            foreach (var b in paid)
            {
                var take = Math.Min(b.Balance, payment.Amount - rows.Sum(r => decimal.Parse(r[4], CultureInfo.InvariantCulture)));
                rows.Add([id, "apply", b.Owner.Id, b.Id, M(take), kase]);
                b.Balance -= take;
                b.Owner.Touched = true;
            }

            if (credit is { } c && c > 0) rows.Add([id, "apply", member.Id, "", M(c), kase]);
            member.Touched = true;
            applied.Add((payment, rows, member));
            return rows;
        }

        private static List<string[]> Review(string id, string kase, Party? member) => [[id, "review", member?.Id ?? "", "", "", kase]];

        public (Made, List<string[]>)? Make(string kase, string id)
        {
            switch (kase)
            {
                case "own-invoice-ref":
                {
                    var p = Fresh();
                    if (p is null) return null;
                    var paid = PickBills(p);
                    var amount = paid.Sum(b => b.Balance);
                    var method = Method();
                    var memo = GoldenWordings.InvoiceMemo(rng, paid.Select(b => WrittenInvoice(b)).ToList());
                    var pay = new Made(amount, method, PayerName(p, method, recognisable: rng.NextDouble() < 0.5), method == "card" && rng.NextDouble() < 0.5 ? p.Email : "", Reference(method), memo);
                    return (pay, Apply(id, kase, paid, pay, p));
                }

                case "own-email":
                {
                    var p = Fresh(x => x.Email.Length > 0);
                    if (p is null) return null;
                    var paid = PickBills(p);
                    var pay = new Made(paid.Sum(b => b.Balance), "card", rng.NextDouble() < 0.3 ? GoldenWordings.Processor(rng, p.First, p.Last).Payer : PayerName(p, "card", rng.NextDouble() < 0.5), p.Email, Reference("card"), GoldenWordings.FreeText(rng));
                    return (pay, Apply(id, kase, paid, pay, p));
                }

                case "own-name":
                case "unlisted-nickname":
                {
                    var nick = kase == "unlisted-nickname";
                    var p = Fresh(x => !nick || GoldenWordings.NicknameOf(x.First) is not null);
                    if (p is null) return null;
                    var paid = PickBills(p);
                    var amount = paid.Sum(b => b.Balance);
                    var method = rng.NextDouble() < 0.6 ? "card" : "check";
                    var first = nick ? GoldenWordings.NicknameOf(p.First)! : p.First;
                    var payer = method == "check" && rng.NextDouble() < 0.4 ? $"{p.Last.ToUpperInvariant()}, {first.ToUpperInvariant()}" : $"{first} {p.Last}";
                    var pay = new Made(amount, method, payer, "", Reference(method), GoldenWordings.FreeText(rng));
                    // A clerk knows the name only when no namesake could have paid this amount.
                    return (pay, NameSettles(p, amount) ? Apply(id, kase, paid, pay, p) : Review(id, kase, null));
                }

                case "namesake":
                {
                    var group = namesakes.Count == 0 ? null : namesakes[rng.Next(namesakes.Count)];
                    if (group is not null && group.Any(x => x.Touched)) return null;
                    var p = group?.FirstOrDefault(x => Open(x).Count > 0);
                    if (group is null || p is null) return null;
                    var paid = PickBills(p);
                    var amount = paid.Sum(b => b.Balance);
                    var pay = new Made(amount, "card", $"{p.First} {p.Last}", "", Reference("card"), rng.NextDouble() < 0.5 ? "" : "membership");
                    foreach (var x in group) x.Touched = true;
                    return (pay, NameSettles(p, amount) ? Apply(id, kase, paid, pay, p) : Review(id, kase, null));
                }

                case "processor":
                {
                    var p = Fresh();
                    if (p is null) return null;
                    var paid = PickBills(p);
                    var amount = paid.Sum(b => b.Balance);
                    var withRef = rng.NextDouble() < 0.7;
                    var memo = withRef ? (rng.NextDouble() < 0.5 ? GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(paid[0])]) : GoldenWordings.MemberMemo(rng, p.Id)) : GoldenWordings.FreeText(rng);
                    if (withRef && paid.Count > 1 && memo.Contains(paid[0].Id, StringComparison.Ordinal)) memo = GoldenWordings.MemberMemo(rng, p.Id);
                    var (processor, nameShown) = GoldenWordings.Processor(rng, p.First, p.Last);
                    var pay = new Made(amount, rng.NextDouble() < 0.7 ? "card" : "ach", processor, "", Reference("card"), memo);
                    p.Touched = true;
                    // "SQ *JANE DOE" still carries the name: a clerk reads it as they would "Jane Doe".
                    return (pay, withRef || (nameShown && NameSettles(p, amount)) ? Apply(id, kase, paid, pay, p) : Review(id, kase, p));
                }

                case "dues-plus-donation":
                {
                    var p = Fresh(x => Open(x).Count == 1);
                    if (p is null) return null;
                    var bill = Open(p)[0];
                    var gift = Gifts[rng.Next(Gifts.Length)];
                    var memo = $"{GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(bill)])} {GoldenWordings.Donation(rng, gift)}";
                    var pay = new Made(bill.Balance + gift, Method(), PayerName(p, "check", true), "", Reference("check"), memo);
                    p.Touched = true;
                    // The gift needs its own record (fund, acknowledgement letter): a clerk handles it by hand.
                    return (pay, Review(id, kase, p));
                }

                case "transposed-digits":
                {
                    var p = Fresh(x => byFullName[Key(x.First, x.Last)].Count == 1 && Open(x).Count == 1);
                    if (p is null) return null;
                    var bill = Open(p)[0];
                    var written = Transpose(rng.NextDouble() < 0.5 ? WrittenInvoice(bill) : p.Id);
                    if (written is null || bills.ContainsKey(written) || memberIds.Contains(written)) return null;
                    var pay = new Made(bill.Balance, "check", $"{p.First} {p.Last}", "", Reference("check"), rng.NextDouble() < 0.5 ? $"inv {written}" : $"acct {written}");
                    return (pay, Apply(id, kase, [bill], pay, p));
                }

                case "free-text":
                {
                    var p = Fresh(x => x.Email.Length > 0);
                    if (p is null) return null;
                    var paid = PickBills(p);
                    var pay = new Made(paid.Sum(b => b.Balance), "card", PayerName(p, "card", true), p.Email, Reference("card"), GoldenWordings.ChattyMemo(rng));
                    return (pay, Apply(id, kase, paid, pay, p));
                }

                case "tolerance-inside":
                case "tolerance-outside":
                {
                    var p = Fresh(x => Open(x).Count == 1 && Open(x)[0].Balance >= 150m);
                    if (p is null) return null;
                    var bill = Open(p)[0];
                    var inside = kase == "tolerance-inside";
                    var pct = inside ? 0.005m + (decimal)rng.NextDouble() * 0.014m : 0.023m + (decimal)rng.NextDouble() * 0.05m;
                    var delta = Math.Round(bill.Balance * pct, 2);
                    var over = rng.NextDouble() < 0.5;
                    var amount = over ? bill.Balance + delta : bill.Balance - delta;
                    var pay = new Made(amount, Method(), PayerName(p, "check", true), "", Reference("check"), GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(bill)]));
                    p.Touched = true;
                    if (!inside) return (pay, Review(id, kase, p));
                    return (pay, over ? Apply(id, kase, [bill], pay, p, amount - bill.Balance) : Apply(id, kase, [bill], pay, p));
                }

                case "unrelated-payer":
                {
                    var p = Fresh();
                    if (p is null) return null;
                    var bill = Open(p)[0];
                    var stranger = StrangerName();
                    var memo = rng.NextDouble() < 0.6 ? GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(bill)]) + $" for {p.First} {p.Last}" : GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(bill)]);
                    var pay = new Made(bill.Balance, Method(), stranger, "", Reference("check"), memo);
                    return (pay, Apply(id, kase, [bill], pay, p));
                }

                case "third-party-id":
                case "conflict":
                {
                    var conflict = kase == "conflict";
                    var p = Fresh(x => Open(x).Count == 1);
                    if (p is null) return null;
                    var bill = Open(p)[0];
                    var payer = Fresh(x => x != p && !Related(x, p) && (Open(x).Any(b => b.Balance == bill.Balance) == conflict) && byFullName[Key(x.First, x.Last)].Count == 1);
                    if (payer is null) return null;
                    var method = rng.NextDouble() < 0.5 ? "check" : "card";
                    var pay = new Made(bill.Balance, method, method == "check" && rng.NextDouble() < 0.5 ? $"{payer.First.ToLowerInvariant()} {payer.Last.ToLowerInvariant()}" : $"{payer.First} {payer.Last}",
                        method == "card" ? payer.Email : "", Reference(method), GoldenWordings.MemberMemo(rng, p.Id));
                    payer.Touched = true;
                    p.Touched = true;
                    // The payer owes exactly this amount too: their own dues, or the member the memo names? A clerk asks.
                    return (pay, conflict ? Review(id, kase, p) : Apply(id, kase, [bill], pay, p));
                }

                case "chapter-list":
                {
                    var chapter = chapters[rng.Next(chapters.Count)];
                    var pool = byChapter.GetValueOrDefault(chapter.Chapter, []);
                    var members = pool.Where(x => !x.Touched && x.Bills.Any(b => b.Balance > 0)).OrderBy(_ => rng.Next()).Take(rng.Next(2, 6)).ToList();
                    if (members.Count < 2) return null;
                    var paid = members.Select(m => Open(m)[0]).ToList();
                    var amount = paid.Sum(b => b.Balance);
                    var style = rng.Next(4);
                    var open = pool.Where(x => x.Bills.Any(b => b.Balance > 0)).ToList();
                    // Surnames alone identify only when no other chapter member with something open shares them.
                    var surnamesUnique = members.All(m => open.Count(o => o.Last == m.Last) == 1);
                    var memo = style switch
                    {
                        0 => "dues: " + string.Join("; ", members.Select(m => $"{m.Id} {m.Last}")),
                        1 => string.Join(", ", members.Select(m => $"{m.Last} #{m.Id}")),
                        2 => "renewals " + string.Join(", ", members.Select(m => m.Last)),
                        _ => "see attached",
                    };
                    var payer = rng.NextDouble() < 0.5 ? $"{chapter.Chapter} CHAPTER TREASURER" : chapter.Full.ToUpperInvariant();
                    var pay = new Made(amount, "check", payer, "", Reference("check"), memo);
                    foreach (var m in members) m.Touched = true;
                    var ok = style is 0 or 1 || (style == 2 && surnamesUnique);
                    return (pay, ok ? Apply(id, kase, paid, pay, chapter) : Review(id, kase, chapter));
                }

                case "employer-list":
                {
                    var org = orgs[rng.Next(orgs.Count)];
                    var staff = byOrg.GetValueOrDefault(org.Id, []);
                    var named = staff.Where(x => !x.Touched && Open(x).Count > 0).OrderBy(_ => rng.Next()).Take(rng.Next(1, 4)).ToList();
                    if (named.Count == 0) return null;
                    var paid = named.Select(m => Open(m)[0]).ToList();
                    var openStaff = staff.Where(x => Open(x).Count > 0).ToList();
                    var style = rng.Next(3);
                    var resolves = named.All(m => style switch
                    {
                        0 => openStaff.Count(o => o.Last == m.Last) == 1,
                        1 => openStaff.Count(o => o.Last == m.Last && o.First[0] == m.First[0]) == 1,
                        _ => openStaff.Count(o => o.Last == m.Last && o.First == m.First) == 1,
                    });
                    var names = named.Select(m => style switch { 0 => m.Last, 1 => $"{m.First[0]}. {m.Last}", _ => $"{m.First} {m.Last}" }).ToList();
                    var method = rng.NextDouble() < 0.6 ? "ach" : "check";
                    var payer = method == "ach" ? Cut(org.Full.ToUpperInvariant(), 16) : org.Full;
                    var pay = new Made(paid.Sum(b => b.Balance), method, payer, "", Reference(method), GoldenWordings.StaffMemo(rng, names));
                    foreach (var m in named) m.Touched = true;
                    return (pay, resolves ? Apply(id, kase, paid, pay, org) : Review(id, kase, org));
                }

                case "household":
                {
                    var p = Fresh(x => x.Household.Length > 0);
                    if (p is null) return null;
                    var family = byHousehold[p.Household];
                    var owing = family.Where(x => Open(x).Count > 0).ToList();
                    if (owing.Count < 2 || family.Any(x => x.Touched)) return null;
                    var paid = owing.SelectMany(Open).ToList();
                    var memo = rng.Next(3) switch
                    {
                        0 => GoldenWordings.FamilyMemo(rng),
                        1 => owing.Count == 2 ? "dues x2" : $"dues x{owing.Count}",
                        _ => string.Join(" & ", owing.Select(x => x.First)) + " dues",
                    };
                    var pay = new Made(paid.Sum(b => b.Balance), rng.NextDouble() < 0.5 ? "check" : "card", $"{p.First} {p.Last}", "", Reference("check"), memo);
                    foreach (var x in family) x.Touched = true;
                    var nameKnown = byFullName[Key(p.First, p.Last)].Count == 1;
                    return (pay, nameKnown ? Apply(id, kase, paid, pay, p) : Review(id, kase, p));
                }

                case "organization-own":
                {
                    var org = orgs.Where(o => !o.Touched && Open(o).Count > 0).Skip(rng.Next(0, 3)).FirstOrDefault();
                    if (org is null) return null;
                    var bill = Open(org)[0];
                    var method = rng.NextDouble() < 0.5 ? "ach" : "wire";
                    var pay = new Made(bill.Balance, method, method == "ach" ? Cut(org.Full.ToUpperInvariant(), 16) : org.Full.ToUpperInvariant(), "", Reference(method),
                        rng.NextDouble() < 0.5 ? GoldenWordings.InvoiceMemo(rng, [WrittenInvoice(bill)]) : "corporate membership");
                    return (pay, Apply(id, kase, [bill], pay, org));
                }

                case "structured-remittance":
                {
                    var org = orgs[rng.Next(orgs.Count)];
                    var named = byOrg.GetValueOrDefault(org.Id, []).Where(x => !x.Touched && Open(x).Count > 0).Take(rng.Next(1, 4)).ToList();
                    if (named.Count == 0) return null;
                    var paid = named.Select(m => Open(m)[0]).ToList();
                    var memo = GoldenWordings.Remittance(rng, paid.Select(b => (WrittenInvoice(b), b.Balance)).ToList());
                    var pay = new Made(paid.Sum(b => b.Balance), "ach", Cut(org.Full.ToUpperInvariant(), 16), "", Reference("ach"), memo);
                    foreach (var m in named) m.Touched = true;
                    return (pay, Apply(id, kase, paid, pay, org));
                }

                case "duplicate":
                {
                    if (applied.Count == 0) return null;
                    var (earlier, _, member) = applied[rng.Next(applied.Count)];
                    // The same payment arriving twice (a resubmitted card charge, a check photographed twice).
                    var pay = earlier with { Reference = Reference(earlier.Method) };
                    return (pay, Review(id, kase, member));
                }

                case "advance":
                {
                    var p = idle.Count == 0 ? null : idle[rng.Next(idle.Count)];
                    if (p is null || p.Touched) return null;
                    p.Touched = true;
                    var pay = new Made(Tiers.First(t => t.Type == p.Type).Dues, "card", $"{p.First} {p.Last}", p.Email, Reference("card"), "next year's dues");
                    return (pay, Review(id, kase, p));
                }

                default:
                {
                    var pay = new Made(StrangerAmounts[rng.Next(StrangerAmounts.Length)], Method(), StrangerName(), "", Reference("check"), StrangerMemos[rng.Next(StrangerMemos.Length)]);
                    return (pay, Review(id, "stranger", null));
                }
            }
        }

        private static bool Related(Party a, Party b) =>
            (a.Household.Length > 0 && a.Household == b.Household) || (a.Org.Length > 0 && a.Org == b.Org);

        private List<Bill> PickBills(Party p)
        {
            var open = Open(p);
            return open.Count > 1 && rng.NextDouble() < 0.35 ? open : [open[0]];
        }

        private string WrittenInvoice(Bill b)
        {
            // People copy "CASH:10185:20251201-1" in many ways; plain numbers stay plain.
            if (!b.Id.StartsWith("CASH:", StringComparison.Ordinal) || rng.NextDouble() < 0.7) return b.Id;
            return rng.Next(2) == 0 ? b.Id.ToLowerInvariant() : b.Id.Replace(":", " ", StringComparison.Ordinal);
        }

        private string StrangerName()
        {
            for (var i = 0; i < 20; i++)
            {
                var last = faker.Name.LastName() + (rng.NextDouble() < 0.5 ? "son" : "");
                if (!knownSurnames.Contains(last.ToUpperInvariant())) return $"{faker.Name.FirstName()} {last}";
            }

            return "J Q Publicson";
        }

        private string PayerName(Party p, string method, bool recognisable)
        {
            var name = recognisable || rng.NextDouble() < 0.5 ? $"{p.First} {p.Last}" : $"{p.First[0]}. {p.Last}";
            if (rng.NextDouble() < 0.15) name = "Dr. " + name;
            return method == "ach" ? Cut(name.ToUpperInvariant().Replace(".", "", StringComparison.Ordinal), 22) : name;
        }

        private string Method() => rng.Next(5) switch { 0 or 1 => "check", 2 => "card", 3 => "ach", _ => "wire" };

        private string Reference(string method) => method switch
        {
            "check" => rng.Next(100, 99999).ToString(CultureInfo.InvariantCulture),
            "ach" => "0" + rng.NextInt64(10_000_000_000_000, 99_999_999_999_999).ToString(CultureInfo.InvariantCulture),
            "wire" => "FT" + rng.NextInt64(1_000_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture),
            _ => "txn_" + rng.NextInt64().ToString("x12", CultureInfo.InvariantCulture),
        };

        private string? Transpose(string text)
        {
            var digits = Enumerable.Range(0, text.Length - 1).Where(i => char.IsAsciiDigit(text[i]) && char.IsAsciiDigit(text[i + 1]) && text[i] != text[i + 1]).ToList();
            if (digits.Count == 0) return null;
            var at = digits[rng.Next(digits.Count)];
            var chars = text.ToCharArray();
            (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
            return new string(chars);
        }
    }

    private static string MailFor(Random rng, string first, string last)
    {
        var f = new string(first.Where(char.IsLetter).ToArray()).ToLowerInvariant();
        var l = new string(last.Where(char.IsLetter).ToArray()).ToLowerInvariant();
        var domain = GoldenWordings.MailDomains[rng.Next(GoldenWordings.MailDomains.Length)];
        return rng.Next(4) switch { 0 => $"{f}.{l}", 1 => $"{f[0]}{l}", 2 => $"{l}{f[0]}{rng.Next(1, 99)}", _ => $"{f}_{l}" } + "@" + domain;
    }

    private static void Add(Dictionary<string, List<Party>> index, string key, Party p)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(p);
    }

    private static string Cut(string s, int n) => s.Length > n ? s[..n].TrimEnd() : s;
    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    private static string M(decimal m) => m.ToString("0.00", CultureInfo.InvariantCulture);
}
