using System.Globalization;
using DuesPilot.Domain;

namespace DuesPilot.Features.Matching;

/// <summary>
/// Makes a realistic association (persons with common US names drawn by frequency, so namesakes
/// happen; households, employers, chapters; one to three open invoices each) and messy payments
/// over every channel, with the outcome a careful clerk would choose written to truth.csv.
/// Deterministic for a seed.
/// </summary>
public static class GenerateGoldenData
{
    private sealed class Person
    {
        public string Id = "", Kind = "person", Full = "", First = "", Last = "", Email = "", Org = "", Household = "", Chapter = "", Type = "REG";
        public List<(string Id, decimal Balance, DateOnly Due)> Open = [];
    }

    private static readonly string[] Channels = ["card", "card", "card", "ach", "ach", "check", "check", "wire"];
    private static readonly decimal[] StrangerAmounts = [50m, 100m, 250m, 1000m];
    private static readonly string[] StrangerMemos = ["", "donation", "payment", "see attached"];
    private static readonly string[] Domains = ["gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "comcast.net"];
    private static readonly string[] OrgWords = ["Acme", "Summit", "Pinnacle", "Harbor", "Keystone", "Redwood", "Bluewater", "Granite", "Cedar", "Liberty", "Northstar", "Evergreen", "Ironwood", "Silverline", "Meridian", "Beacon", "Crescent", "Falcon", "Horizon", "Lakeside"];
    private static readonly string[] OrgWords2 = ["Engineering", "Widgets", "Health Partners", "Consulting Group", "Dental Associates", "Architects", "Capital", "Logistics", "Medical Group", "Design Studio", "Analytics", "Builders", "Law Group", "Laboratories"];
    private static readonly string[] OrgSuffix = ["Inc.", "LLC", "Corp.", "Co.", "Ltd.", "Incorporated", "Corporation", "P.C.", "LLP"];
    private static readonly string[] States = ["OH", "NY", "CA", "TX", "IL", "PA", "FL", "GA", "MI", "WA"];
    private static readonly string[] StateNames = ["Ohio", "New York", "California", "Texas", "Illinois", "Pennsylvania", "Florida", "Georgia", "Michigan", "Washington"];
    private static readonly (string Type, decimal Dues)[] Tiers = [("REG", 395m), ("REG", 395m), ("REG", 395m), ("STU", 95m), ("RET", 195m), ("ASSOC", 250m)];

    /// <param name="invoiceTarget">When above what the members get naturally, extra open invoices (events, contributions) are added up to it.</param>
    public static void Generate(string folder, int memberCount, int paymentCount, int seed, int invoiceTarget = 0)
    {
        var rng = new Random(seed);
        var firsts = Weighted(MatchingReferenceData.CsvRows("first-names.csv").Take(1200).Select(r => (r["name"], double.Parse(r["count"], CultureInfo.InvariantCulture))).ToList());
        var lasts = Weighted(MatchingReferenceData.CsvRows("surnames.csv").Take(3000).Select(r => (Title(r["name"]), double.Parse(r["frequency_pct"], CultureInfo.InvariantCulture))).ToList());
        var nick = MatchingReferenceData.CsvRows("nicknames.csv").GroupBy(r => r["name1"]).ToDictionary(g => g.Key, g => g.Select(r => r["name2"]).ToList());

        var people = new List<Person>();
        var usedIds = new HashSet<string>();
        string NewId(int lo, int hi) { string id; do id = rng.Next(lo, hi).ToString(CultureInfo.InvariantCulture); while (!usedIds.Add(id)); return id; }

        // Chapters and employers are organization parties.
        var chapters = new List<Person>();
        for (var i = 0; i < States.Length; i++)
            chapters.Add(new Person { Id = NewId(10000, 99999), Kind = "organization", Full = $"{StateNames[i]} Chapter", Chapter = States[i], Type = "CHAP" });
        var orgCount = Math.Max(5, memberCount / 60);
        var orgs = new List<Person>();
        var orgNames = new HashSet<string>();
        while (orgs.Count < orgCount)
        {
            var name = $"{Pick(rng, OrgWords)} {Pick(rng, OrgWords2)}";
            if (!orgNames.Add(name)) { if (orgNames.Count > OrgWords.Length * OrgWords2.Length - 5) break; continue; }
            orgs.Add(new Person { Id = NewId(10000, 99999), Kind = "organization", Full = $"{name}, {Pick(rng, OrgSuffix)}", Type = "CORP", Email = $"ap@{name.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()}.com" });
        }

        while (people.Count + orgs.Count + chapters.Count < memberCount)
        {
            var p = new Person { Id = NewId(10000, 99999), First = firsts(rng), Last = lasts(rng) };
            if (rng.NextDouble() < 0.04) p.Last = $"{p.Last}-{lasts(rng)}";
            var (type, _) = Tiers[rng.Next(Tiers.Length)];
            p.Type = type;
            p.Full = rng.NextDouble() < 0.2 ? $"{p.First} {(char)('A' + rng.Next(26))}. {p.Last}" : $"{p.First} {p.Last}";
            if (rng.NextDouble() < 0.75) p.Email = EmailFor(rng, p.First, p.Last);
            if (rng.NextDouble() < 0.6) p.Chapter = Pick(rng, States);
            if (rng.NextDouble() < 0.25) p.Org = Pick(rng, orgs).Id;
            people.Add(p);
            if (rng.NextDouble() < 0.08 && people.Count + orgs.Count + chapters.Count < memberCount)
            {
                var spouse = new Person { Id = NewId(10000, 99999), First = firsts(rng), Last = p.Last, Type = "REG", Chapter = p.Chapter };
                spouse.Full = $"{spouse.First} {spouse.Last}";
                p.Household = spouse.Household = "H" + p.Id;
                spouse.Email = rng.NextDouble() < 0.3 ? p.Email : EmailFor(rng, spouse.First, spouse.Last);
                people.Add(spouse);
            }
        }

        // Unique e-mails except deliberate household sharing.
        var seenMail = new HashSet<string>();
        foreach (var p in people)
            if (p.Email.Length > 0 && !seenMail.Add(p.Email) && p.Household.Length == 0) p.Email = "";

        // Half the chapters are parties in the member file; the others are known only by their code on members.
        var all = people.Concat(orgs).Concat(chapters.Where((_, i) => i % 2 == 0)).ToList();
        var invoiceRows = new List<string[]>();
        var start = new DateOnly(2025, 1, 1);
        foreach (var p in people.Concat(orgs))
        {
            var dues = p.Kind == "organization" ? 2500m : Tiers.First(t => t.Type == p.Type).Dues;
            if (p.Chapter.Length > 0 && rng.NextDouble() < 0.5) dues += 45m;
            var n = rng.NextDouble() switch { < 0.12 => 0, < 0.82 => 1, < 0.95 => 2, _ => 3 };
            for (var k = 0; k < n; k++)
            {
                var amount = k == 0 ? dues : Pick(rng, (decimal[])[75m, 120m, 150m, 35m, dues]);
                var balance = rng.NextDouble() < 0.07 ? amount - Math.Round(amount * 0.4m, 0) : amount;
                var date = start.AddDays(rng.Next(0, 300) - 365 * (n - 1 - k));
                var id = NewId(100000, 999999);
                p.Open.Add((id, balance, date.AddDays(30)));
                invoiceRows.Add([id, p.Id, D(date), D(date.AddDays(30)), M(amount), M(balance), k == 0 ? $"DUES-{p.Type}" : "MISC", k == 0 ? $"{date.Year} membership dues" : "Event / contribution"]);
            }
        }

        // Top up to the requested number of open invoices with small extra charges (events, contributions).
        var extraPool = people.Where(p => p.Open.Count > 0).ToList();
        while (invoiceRows.Count < invoiceTarget && extraPool.Count > 0)
        {
            var p = Pick(rng, extraPool);
            var amount = Pick(rng, (decimal[])[60m, 85m, 125m, 175m, 210m]);
            var date = start.AddDays(rng.Next(0, 300));
            var id = NewId(100000, 9999999);
            p.Open.Add((id, amount, date.AddDays(30)));
            invoiceRows.Add([id, p.Id, D(date), D(date.AddDays(30)), M(amount), M(amount), "EVENT", "Event registration"]);
        }

        // Settled history: some closed invoices (balance 0 rows are not open; the format keeps only open ones).
        var memberRows = all.Select(p => new[]
        {
            p.Id, p.Kind, p.Full, p.Kind == "person" ? p.First : "", p.Kind == "person" ? p.Last : "", p.Email, p.Org, p.Household, p.Chapter, p.Type,
            D(start.AddDays(-rng.Next(30, 4000))), D(new DateOnly(2025, 12, 31)), rng.NextDouble() < 0.9 ? "A" : "L",
        }).ToList();

        var payments = new List<string[]>();
        var truth = new List<string[]>();
        var paidBalance = new Dictionary<string, decimal>();
        var day = new DateOnly(2025, 3, 1);
        var payers = people.Where(p => p.Open.Count > 0).ToList();
        // Lookups by household, employer and chapter, so large sets generate in linear time.
        var byHousehold = people.Where(p => p.Household.Length > 0).GroupBy(p => p.Household).ToDictionary(g => g.Key, g => g.ToList());
        var byOrg = people.Where(p => p.Org.Length > 0 && p.Open.Count > 0).GroupBy(p => p.Org).ToDictionary(g => g.Key, g => g.ToList());
        var byChapter = people.Where(p => p.Chapter.Length > 0 && p.Open.Count > 0).GroupBy(p => p.Chapter).ToDictionary(g => g.Key, g => g.ToList());
        var idlePeople = people.Where(o => o.Open.Count == 0 && o.Email.Length > 0).ToList();
        var byName = all.GroupBy(p => (p.First + " " + p.Last).ToUpperInvariant()).ToDictionary(g => g.Key, g => g.Count());
        var pid = 0;
        var lastApplied = new List<(string[] Payment, Person P, decimal Amount)>();

        while (payments.Count < paymentCount)
        {
            var scenario = rng.NextDouble();
            var channel = Pick(rng, Channels);
            var id = $"P{seed}-{++pid:D6}";
            var p = Pick(rng, payers);
            var open = p.Open.Where(o => Remaining(o) > 0).ToList();
            // A member paid earlier in the set is left alone (except for duplicates): if the engine sent the
            // earlier payment to review, its balances differ from truth's and the second payment would be scored
            // against a state the engine never saw.
            bool Untouched(Person x) => x.Open.All(o => !paidBalance.ContainsKey(o.Id));
            if (!Untouched(p) && scenario is < 0.89 or >= 0.93) continue;
            decimal Remaining((string Id, decimal Balance, DateOnly Due) o) => o.Balance - paidBalance.GetValueOrDefault(o.Id);

            // Namesakes make a name alone worth nothing: such payers need e-mail or a reference to be applied.
            var namesake = byName.GetValueOrDefault((p.First + " " + p.Last).ToUpperInvariant()) > 1;

            if (scenario < 0.50 && open.Count > 0)
            {
                // Member pays own invoice(s): exact single, or all open.
                var items = open.Count > 1 && rng.NextDouble() < 0.4 ? open : [open[0]];
                var amount = items.Sum(Remaining);
                var (payer, email, memo) = Describe(rng, p, channel, nick, items.Select(i => i.Id).ToList());
                Add(id, amount, channel, payer, email, memo);
                email = payments[^1][6];
                var identified = (email.Length > 0 && email == p.Email) || memo.Contains(items[0].Id, StringComparison.Ordinal) || memo.Contains(p.Id, StringComparison.Ordinal);
                var nameOk = !namesake && NameRecognisable(payer, p, channel);
                if (identified || nameOk)
                {
                    foreach (var i in items) { truth.Add([id, "apply", p.Id, i.Id, M(Remaining(i))]); paidBalance[i.Id] = paidBalance.GetValueOrDefault(i.Id) + Remaining(i); }
                    lastApplied.Add((payments[^1], p, amount));
                }
                else truth.Add([id, "review", namesake ? "" : p.Id, "", ""]);
            }
            else if (scenario < 0.58 && open.Count > 0)
            {
                // Small over/underpayment within 2% (bank fee, rounding up).
                var inv = open[0];
                var bal = Remaining(inv);
                if (bal < 100m) continue;
                var delta = Math.Max(1m, Math.Round(bal * 0.012m, 0));
                var over = rng.NextDouble() < 0.5;
                var amount = over ? bal + delta : bal - delta;
                var email = p.Email.Length > 0 ? p.Email : "";
                var memo = $"INV {inv.Id}";
                Add(id, amount, channel, channel == "ach" ? Ach(p.First + " " + p.Last) : p.First + " " + p.Last, email, memo);
                if (over) { truth.Add([id, "apply", p.Id, inv.Id, M(bal)]); truth.Add([id, "apply", p.Id, "", M(amount - bal)]); paidBalance[inv.Id] = paidBalance.GetValueOrDefault(inv.Id) + bal; }
                else { truth.Add([id, "apply", p.Id, inv.Id, M(amount)]); paidBalance[inv.Id] = paidBalance.GetValueOrDefault(inv.Id) + amount; }
            }
            else if (scenario < 0.64 && open.Count > 0)
            {
                // Variance beyond tolerance: review, member known.
                var inv = open[0];
                var amount = Math.Round(Remaining(inv) * (rng.NextDouble() < 0.5 ? 0.5m : 1.25m), 2);
                // Not by chance the sum of everything the member owes (that would be a correct payment).
                if (amount == open.Sum(Remaining) || open.Any(o => Remaining(o) == amount)) continue;
                Add(id, amount, channel, p.First + " " + p.Last, p.Email, $"Inv#{inv.Id}");
                truth.Add([id, "review", p.Id, "", ""]);
            }
            else if (scenario < 0.70 && p.Household.Length > 0)
            {
                // Household: spouse pays partner's (or both) dues.
                var partner = byHousehold[p.Household].First(o => o != p);
                if (!Untouched(partner)) continue;
                var items = partner.Open.Where(o => Remaining(o) > 0).Take(1).Concat(rng.NextDouble() < 0.5 ? open.Take(1) : []).ToList();
                if (items.Count == 0) continue;
                var amount = items.Sum(Remaining);
                var memo = $"dues for {partner.First}" + (items.Count > 1 ? $" and {p.First}" : "");
                Add(id, amount, channel, channel == "ach" ? Ach($"{p.Last} {p.First}") : $"{p.First} {p.Last}", p.Email, memo);
                var ok = !namesake || payments[^1][6].Length > 0;
                if (ok)
                {
                    foreach (var i in items)
                    {
                        var owner = i.Id == items[0].Id && partner.Open.Contains(i) ? partner : p;
                        truth.Add([id, "apply", owner.Id, i.Id, M(Remaining(i))]);
                        paidBalance[i.Id] = paidBalance.GetValueOrDefault(i.Id) + Remaining(i);
                    }
                }
                else truth.Add([id, "review", partner.Id, "", ""]);
            }
            else if (scenario < 0.76)
            {
                // Employer pays for people named in the memo.
                var org = Pick(rng, orgs);
                var staff = byOrg.GetValueOrDefault(org.Id, []).Skip(rng.Next(0, 20)).Where(Untouched).Take(rng.Next(1, 4)).ToList();
                if (staff.Count == 0) continue;
                var items = staff.Select(s => (s, s.Open.First(o => Remaining(o) > 0))).ToList();
                var amount = items.Sum(x => Remaining(x.Item2));
                var payer = channel == "ach" ? Ach(org.Full.ToUpperInvariant().Replace(",", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal)) : org.Full.Replace(",", "", StringComparison.Ordinal);
                var memo = "Dues: " + string.Join(", ", staff.Select(s => rng.NextDouble() < 0.5 ? $"{s.First} {s.Last}" : $"{s.Last.ToUpperInvariant()} {s.First.ToUpperInvariant()}"));
                Add(id, amount, channel, payer, "", memo);
                foreach (var (s, i) in items) { truth.Add([id, "apply", s.Id, i.Id, M(Remaining(i))]); paidBalance[i.Id] = paidBalance.GetValueOrDefault(i.Id) + Remaining(i); }
            }
            else if (scenario < 0.80)
            {
                // Chapter remits a lump sum for a list of its members.
                var chapter = Pick(rng, chapters);
                var pool = byChapter.GetValueOrDefault(chapter.Chapter, []);
                var listed = Enumerable.Range(0, 12).Select(_ => pool.Count == 0 ? null : pool[rng.Next(pool.Count)]).OfType<Person>().Where(Untouched).Distinct().Take(rng.Next(2, 6)).ToList();
                if (listed.Count < 2) continue;
                var items = listed.Select(s => (s, s.Open.First(o => Remaining(o) > 0))).ToList();
                var amount = items.Sum(x => Remaining(x.Item2));
                var chapterPayer = rng.NextDouble() < 0.5 ? chapter.Full.ToUpperInvariant() : $"{chapter.Chapter} Chapter Treasurer";
                Add(id, amount, channel == "card" ? "check" : channel, chapterPayer, "", "Chapter remittance: " + string.Join("; ", listed.Select(s => $"{s.First} {s.Last}")));
                foreach (var (s, i) in items) { truth.Add([id, "apply", s.Id, i.Id, M(Remaining(i))]); paidBalance[i.Id] = paidBalance.GetValueOrDefault(i.Id) + Remaining(i); }
            }
            else if (scenario < 0.85)
            {
                // Unattributable: a stranger with no reference.
                var stranger = $"{firsts(rng)} {lasts(rng)}";
                if (byName.ContainsKey(stranger.ToUpperInvariant())) continue;
                Add(id, Pick(rng, StrangerAmounts), channel, stranger, "", Pick(rng, StrangerMemos));
                truth.Add([id, "review", "", "", ""]);
            }
            else if (scenario < 0.89)
            {
                // Conflicting references: memo names someone else's invoice; e-mail and name are the payer's.
                var other = Pick(rng, payers);
                var inv = other.Open.FirstOrDefault(o => Remaining(o) > 0);
                if (other == p || other.Household == p.Household && p.Household.Length > 0 || inv.Id is null || p.Email.Length == 0 || open.Count == 0) continue;
                Add(id, Remaining(open[0]), channel == "ach" ? "card" : channel, $"{p.First} {p.Last}", p.Email, $"INV {inv.Id}");
                truth.Add([id, "review", p.Id, "", ""]);
            }
            else if (scenario < 0.93 && lastApplied.Count > 0)
            {
                // Duplicate: the same payment again after the first settled the invoice.
                var (orig, who, amount) = lastApplied[rng.Next(lastApplied.Count)];
                if (who.Open.Any(o => Remaining(o) > 0)) continue;
                Add(id, amount, orig[4], orig[5], orig[6], orig[8]);
                truth.Add([id, "review", who.Id, "", ""]);
            }
            else if (scenario < 0.97)
            {
                // Organization pays its own corporate invoice.
                var org = Pick(rng, orgs);
                var inv = org.Open.FirstOrDefault(o => Remaining(o) > 0);
                if (inv.Id is null || !Untouched(org)) continue;
                var amount = Remaining(inv);
                var payer = channel == "ach" ? Ach(org.Full.ToUpperInvariant().Replace(",", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal)) : org.Full;
                Add(id, amount, channel, payer, rng.NextDouble() < 0.5 ? org.Email : "", rng.NextDouble() < 0.5 ? $"Invoice {inv.Id}" : "corporate membership");
                truth.Add([id, "apply", org.Id, inv.Id, M(amount)]); paidBalance[inv.Id] = paidBalance.GetValueOrDefault(inv.Id) + amount;
            }
            else
            {
                // Member with nothing open pays (advance): review with the member named.
                var idle = idlePeople.Count == 0 ? null : idlePeople[rng.Next(idlePeople.Count)];
                if (idle is null) continue;
                Add(id, 395m, "card", $"{idle.First} {idle.Last}", idle.Email, "2026 dues");
                truth.Add([id, "review", idle.Id, "", ""]);
            }
        }

        // Payments are processed by date: reorder file and truth together so "earlier" in truth means earlier in the run.
        GoldenDatasetFiles.Write(folder, memberRows, invoiceRows, payments, truth);

        void Add(string id, decimal amount, string channel, string payer, string email, string memo)
        {
            var reference = channel switch
            {
                "check" => rng.Next(1000, 999999).ToString(CultureInfo.InvariantCulture),
                "ach" => rng.NextInt64(100000000000000, 999999999999999).ToString(CultureInfo.InvariantCulture),
                "wire" => "E2E" + rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture),
                _ => "ch_" + rng.NextInt64().ToString("x", CultureInfo.InvariantCulture),
            };
            if (channel == "ach") { payer = Ach(payer); email = ""; }
            if (channel == "check") email = "";
            payments.Add([id, D(day.AddDays(payments.Count * 60 / Math.Max(1, paymentCount))), M(amount), "USD", channel, payer, email, reference, memo]);
        }

    }

    /// <summary>How the payer shows up in a channel: name variants, e-mail, memo. The memo references an invoice or member id half the time.</summary>
    private static (string Payer, string Email, string Memo) Describe(Random rng, Person p, string channel, Dictionary<string, List<string>> nick, List<string> invoiceIds)
    {
        var first = p.First;
        var variant = rng.NextDouble();
        var lower = first.ToLowerInvariant();
        string payer;
        if (variant < 0.15 && nick.TryGetValue(lower, out var n) && n.Count > 0) payer = $"{Title(n[rng.Next(n.Count)])} {p.Last}";
        else if (variant < 0.25) payer = $"{first[0]}. {p.Last}";
        else if (variant < 0.32) payer = $"Dr. {p.Full}";
        else if (variant < 0.37) payer = $"{first} {Typo(rng, p.Last)}";
        else payer = p.Full;
        if (channel == "ach") payer = rng.NextDouble() < 0.5 ? $"{p.Last} {first}" : payer;
        var email = p.Email.Length > 0 && rng.NextDouble() < 0.7 ? p.Email : rng.NextDouble() < 0.2 ? $"{lower}{rng.Next(10, 99)}@{Pick(rng, Domains)}" : "";
        var memo = rng.NextDouble() switch
        {
            < 0.25 => $"INV {string.Join(", ", invoiceIds)}",
            < 0.35 => $"Inv#{invoiceIds[0]}",
            < 0.45 => $"Member #{p.Id}",
            < 0.55 => invoiceIds[0],
            < 0.75 => "annual dues",
            _ => "",
        };
        return (payer, email, memo);
    }

    /// <summary>Whether a clerk would recognise the member from the payer name alone (exact, nickname, reversed, cut at 22).</summary>
    private static bool NameRecognisable(string payer, Person p, string channel)
    {
        var folded = payer.ToUpperInvariant().Replace(".", "", StringComparison.Ordinal);
        if (folded.StartsWith(p.First[..1].ToUpperInvariant() + " ", StringComparison.Ordinal)) return false;
        return folded.Contains(p.Last.ToUpperInvariant(), StringComparison.Ordinal) || (channel == "ach" && payer.Length >= 20);
    }

    private static string Ach(string name)
    {
        var upper = name.ToUpperInvariant().Replace(".", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        return upper.Length > 22 ? upper[..22].TrimEnd() : upper;
    }

    private static string Typo(Random rng, string s)
    {
        if (s.Length < 6) return s;
        var i = rng.Next(1, s.Length - 2);
        var c = s.ToCharArray();
        (c[i], c[i + 1]) = (c[i + 1], c[i]);
        return new string(c);
    }

    private static string EmailFor(Random rng, string first, string last)
    {
        var f = first.ToLowerInvariant();
        var l = last.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace("'", "", StringComparison.Ordinal);
        return rng.Next(3) switch { 0 => $"{f}.{l}", 1 => $"{f[0]}{l}", _ => $"{f}{l}{rng.Next(1, 99)}" } + "@" + Pick(rng, Domains);
    }

    private static Func<Random, string> Weighted(List<(string Name, double Weight)> items)
    {
        var cumulative = new double[items.Count];
        double total = 0;
        for (var i = 0; i < items.Count; i++) cumulative[i] = total += items[i].Weight;
        return rng =>
        {
            var x = rng.NextDouble() * total;
            var i = Array.BinarySearch(cumulative, x);
            return items[i < 0 ? Math.Min(~i, items.Count - 1) : i].Name;
        };
    }

    private static string Title(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];
    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    private static string M(decimal m) => m.ToString("0.00", CultureInfo.InvariantCulture);
}
