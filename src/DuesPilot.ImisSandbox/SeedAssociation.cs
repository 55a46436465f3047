using System.Globalization;
using System.Reflection;
using Bogus;
using Dapper;

namespace DuesPilot.ImisSandbox;

/// <summary>
/// Seeds an empty sandbox with a realistic association, deterministically from a seed: organizations
/// holding corporate memberships, persons (some employed by them, some sharing a household), chapters,
/// four calendar-year dues tiers, and invoices open, partly paid and paid, including prorated
/// mid-year joins. Names come from the SSA first-name and Census surname lists shipped in Data/.
/// A few persons live in Ontario and pay HST on dues (a tax line on each invoice). Then a known set of
/// billing defects is planted in open invoices of the current dues year (see <see cref="PlantDefects"/>),
/// listed in <c>planted_defects</c> for tests. Taxes and defects draw from their own random stream, so
/// the rest of the association is the same whatever they are set to.
/// </summary>
internal static class SeedAssociation
{
    /// <summary>The dues tiers: member type, product, annual rate in cents, display name.</summary>
    public static readonly (string Type, string ItemId, long RateCents, string Name)[] Tiers =
    [
        ("REG", "DUES-REG", 39500, "Regular Membership"),
        ("STU", "DUES-STU", 9500, "Student Membership"),
        ("RET", "DUES-RET", 19500, "Retired Membership"),
        ("CORP", "DUES-CORP", 250000, "Corporate Membership"),
    ];

    private static readonly string[] Chapters = ["CH-NORTHEAST", "CH-MIDATLANTIC", "CH-SOUTHEAST", "CH-MIDWEST", "CH-SOUTHWEST", "CH-MOUNTAIN", "CH-PACIFIC", "CH-NORTHWEST"];
    private static readonly string[] Titles = ["Director", "Manager", "Engineer", "Analyst", "Vice President", "Coordinator", "Specialist", "Consultant"];
    private static readonly string[] Methods = ["CASH", "CHECK", "VISA", "ACH"];
    private static readonly string[] EmailDomains = ["example.org", "example.net", "example.com"];
    private static readonly string[] Prefixes = ["Mr.", "Ms.", "Dr.", "Mrs."];

    /// <summary>The tax of the example billing policy (examples/billing-policy.yaml): Ontario members pay 13 % HST on dues, as a separate TAX line.</summary>
    public const string TaxCode = "HST-ON";
    public const string TaxItem = "TAX";
    private const long TaxPercent = 13;

    /// <summary>Prorated dues for a calendar-year member joining in <paramref name="joinMonth"/>: the join month counts, rounded half away from zero.</summary>
    public static long Prorate(long annualCents, int joinMonth)
    {
        var months = 12 - joinMonth + 1;
        return (long)Math.Round(annualCents * months / 12m, MidpointRounding.AwayFromZero);
    }

    public static async Task RunAsync(SandboxDb db, ImisSandboxOptions options, DateOnly asOf)
    {
        await using var c = await db.OpenAsync();
        var seeded = await c.ExecuteScalarAsync<string?>("SELECT value FROM sandbox_meta WHERE key = 'seeded'");
        if (seeded is not null) return;

        var random = new Randomizer(options.Seed);
        var faker = new Faker("en") { Random = random };
        var firstNames = ReadColumn("first-names.csv", 1).Select(TitleCase).ToArray();
        var surnames = ReadColumn("surnames.csv", 0).Select(TitleCase).ToArray();
        var companyTypes = ReadLines("company-types.txt").Select(l => TitleCase(l.Split('|')[0])).Where(t => t.Length > 3).ToArray();

        var parties = new List<PartyRow>();
        var invoices = new List<InvoiceRow>();
        var lines = new List<LineRow>();
        var receipts = new List<ReceiptRow>();
        var receiptLines = new List<ReceiptLineRow>();
        var subscriptions = new List<SubscriptionRow>();
        var members = Math.Max(2, options.Members);
        var orgCount = Math.Max(1, members * 6 / 100);
        var seq = 10000;
        var invoiceNumber = 100000;
        var receiptId = 0;
        var firstYear = asOf.Year - Math.Max(1, options.YearsOfHistory) + 1;
        var extras = new Randomizer(unchecked(options.Seed * 7919 + 13)); // wraps for large seeds instead of overflowing
        var taxed = new HashSet<string>(StringComparer.Ordinal);

        string Stamp(DateOnly d) => Wire.Instant(new DateTimeOffset(d.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero));
        DateOnly JoinDate()
        {
            if (random.Double() < 0.08 && asOf.Month > 1)
                return new DateOnly(asOf.Year, random.Int(2, asOf.Month), random.Int(1, 28));
            return asOf.AddDays(-random.Int(400, 20 * 365));
        }

        var orgs = new List<PartyRow>();
        for (var i = 0; i < orgCount; i++)
        {
            var id = (++seq).ToString(CultureInfo.InvariantCulture);
            var name = faker.Company.CompanyName();
            if (random.Double() < 0.3) name += " " + random.ArrayElement(companyTypes);
            var join = JoinDate();
            var status = random.Double() < 0.95 ? "A" : "I";
            var domain = new string(name.ToLowerInvariant().Where(char.IsLetter).Take(12).ToArray()) + ".example.com";
            var org = new PartyRow(id, seq, 1, null, null, null, name, name, "info@" + domain, status, "CORP", join.ToString("O", CultureInfo.InvariantCulture),
                null, null, null, null, random.ArrayElement(Chapters), random.Guid().ToString(), Stamp(join), Stamp(join));
            orgs.Add(org);
            parties.Add(org);
        }

        PartyRow? previous = null;
        for (var i = orgCount; i < members; i++)
        {
            var id = (++seq).ToString(CultureInfo.InvariantCulture);
            var roll = random.Double();
            var type = roll < 0.70 ? "REG" : roll < 0.85 ? "STU" : "RET";
            var first = random.ArrayElement(firstNames);
            var last = random.ArrayElement(surnames);
            string? household = null;
            if (previous is { IsOrg: 0 } && random.Double() < 0.12)
            {
                last = previous.LastName!;
                household = previous.HouseholdId ?? "HH-" + previous.PartyId;
                if (previous.HouseholdId is null)
                {
                    previous = previous with { HouseholdId = household };
                    parties[^1] = previous;
                }
            }

            PartyRow? employer = type == "REG" && random.Double() < 0.35 ? random.ListItem(orgs) : null;
            var join = JoinDate();
            var statusRoll = random.Double();
            var status = statusRoll < 0.92 ? "A" : statusRoll < 0.97 ? "I" : "L";
            var emailDomain = employer is null ? random.ArrayElement(EmailDomains) : employer.Email!.Split('@')[1];
            var email = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{(random.Double() < 0.3 ? random.Int(1, 99).ToString(CultureInfo.InvariantCulture) : "")}@{emailDomain}";
            var prefix = random.Double() < 0.4 ? random.ArrayElement(Prefixes) : null;
            var full = (prefix is null ? "" : prefix + " ") + first + " " + last;
            var person = new PartyRow(id, seq, 0, prefix, first, last, null, full, email, status, type, join.ToString("O", CultureInfo.InvariantCulture),
                null, employer?.PartyId, employer is null ? null : random.ArrayElement(Titles), household,
                employer?.Chapter ?? random.ArrayElement(Chapters), random.Guid().ToString(), Stamp(join), Stamp(join));
            parties.Add(person);
            previous = person;
            if (extras.Int(0, 99) < options.TaxedMembersPercent) taxed.Add(id);
        }

        // Invoices, receipts and subscriptions per party, year by year.
        for (var p = 0; p < parties.Count; p++)
        {
            var party = parties[p];
            var tier = Tiers.Single(t => t.Type == party.MemberType);
            var join = DateOnly.ParseExact(party.JoinDate!, "O", CultureInfo.InvariantCulture);
            var employerPays = party.OrgPartyId is not null && random.Double() < 0.4;
            var billTo = employerPays ? party.OrgPartyId! : party.PartyId;
            DateOnly? paidThrough = null;
            InvoiceRow? latest = null;
            for (var year = firstYear; year <= asOf.Year; year++)
            {
                if (join.Year > year) continue;
                if (year == asOf.Year && party.Status != "A") continue;
                var joinedThisYear = join.Year == year;
                var dues = joinedThisYear ? Prorate(tier.RateCents, join.Month) : tier.RateCents;
                var tax = taxed.Contains(party.PartyId) ? (long)Math.Round(dues * TaxPercent / 100m, MidpointRounding.AwayFromZero) : 0;
                var amount = dues + tax;
                var invoiceDate = joinedThisYear ? join : new DateOnly(year - 1, 12, 1);
                if (invoiceDate > asOf) continue;
                var begin = joinedThisYear ? new DateOnly(year, join.Month, 1) : new DateOnly(year, 1, 1);
                var end = new DateOnly(year, 12, 31);
                var months = 12 - begin.Month + 1;
                var invoiceId = options.AccrualInvoices ? (invoiceNumber + 1).ToString(CultureInfo.InvariantCulture) : $"CASH:{party.PartyId}:{invoiceDate:yyyyMMdd}-1";
                var description = joinedThisYear
                    ? $"Membership Join {year.ToString(CultureInfo.InvariantCulture)}" + (months < 12 ? $" (prorated {months.ToString(CultureInfo.InvariantCulture)}/12)" : "")
                    : $"Membership Renewal {year.ToString(CultureInfo.InvariantCulture)}";
                var state = random.Double();
                long paid = year < asOf.Year
                    ? (state < 0.92 ? amount : state < 0.97 ? PartOf(amount, random) : 0)
                    : (state < 0.50 ? amount : state < 0.65 ? PartOf(amount, random) : 0);
                var updated = invoiceDate;
                if (paid > 0)
                {
                    var span = Math.Max(0, asOf.DayNumber - invoiceDate.DayNumber);
                    var receiptDate = invoiceDate.AddDays(random.Int(0, Math.Min(span, 120)));
                    updated = receiptDate;
                    receiptId++;
                    var method = random.ArrayElement(Methods);
                    var reference = method switch
                    {
                        "CHECK" => "CHK-" + random.Int(1000, 99999).ToString(CultureInfo.InvariantCulture),
                        "VISA" => "ch_" + random.AlphaNumeric(14),
                        "ACH" => "ACH-" + random.Int(100000, 999999).ToString(CultureInfo.InvariantCulture),
                        _ => "CASH-" + receiptId.ToString(CultureInfo.InvariantCulture),
                    };
                    receipts.Add(new ReceiptRow(receiptId, reference, billTo, method, paid, receiptDate.ToString("O", CultureInfo.InvariantCulture), Stamp(receiptDate), Stamp(receiptDate)));
                    receiptLines.Add(new ReceiptLineRow(receiptId, invoiceId, paid));
                }

                var invoice = new InvoiceRow(invoiceId, ++invoiceNumber, party.PartyId, billTo, invoiceDate.ToString("O", CultureInfo.InvariantCulture),
                    (joinedThisYear ? invoiceDate.AddDays(30) : new DateOnly(year, 1, 1)).ToString("O", CultureInfo.InvariantCulture),
                    amount, amount - paid, description, "DUES", joinedThisYear ? "MembershipJoin" : "MembershipRenewal", Stamp(invoiceDate), Stamp(updated));
                invoices.Add(invoice);
                lines.Add(new LineRow(invoiceId, 1, tier.ItemId, $"{tier.Name} dues {year.ToString(CultureInfo.InvariantCulture)}", 1, dues, dues,
                    begin.ToString("O", CultureInfo.InvariantCulture), end.ToString("O", CultureInfo.InvariantCulture), party.PartyId, tax > 0 ? TaxCode : null, null));
                if (tax > 0)
                    lines.Add(new LineRow(invoiceId, 2, TaxItem, "HST (Ontario) 13%", 1, tax, tax, null, null, party.PartyId, TaxCode, null));
                if (paid == amount) paidThrough = end;
                latest = invoice;
            }

            if (paidThrough is null && join <= asOf)
                paidThrough = new DateOnly(Math.Max(join.Year, firstYear) - 1, 12, 31);
            parties[p] = party with { PaidThrough = paidThrough?.ToString("O", CultureInfo.InvariantCulture) };
            subscriptions.Add(new SubscriptionRow(party.PartyId, tier.ItemId, party.Status == "A" ? 0 : 1, party.JoinDate,
                paidThrough?.ToString("O", CultureInfo.InvariantCulture),
                latest is null ? null : new DateOnly(asOf.Year, 1, 1).ToString("O", CultureInfo.InvariantCulture),
                latest is null ? null : new DateOnly(asOf.Year, 12, 31).ToString("O", CultureInfo.InvariantCulture),
                latest?.AmountCents ?? 0, latest?.BalanceCents ?? 0, latest?.InvoiceId, billTo, latest?.UpdatedOn ?? party.UpdatedOn));
        }

        var planted = PlantDefects(options.PlantedDefects, extras, asOf, parties, taxed, invoices, lines, subscriptions, ref invoiceNumber);

        await db.WriteLock.WaitAsync();
        try
        {
            await using var tx = await c.BeginTransactionAsync();
            foreach (var t in Tiers)
            {
                await c.ExecuteAsync("INSERT INTO items VALUES (@ItemId, @ItemId, @Name, 'DUES', @Type)", new { t.ItemId, t.Name, t.Type }, tx);
                await c.ExecuteAsync("INSERT INTO item_prices VALUES (@ItemId, 'STANDARD', @From, @Rate)",
                    new { t.ItemId, From = new DateOnly(firstYear, 1, 1).ToString("O", CultureInfo.InvariantCulture), Rate = t.RateCents }, tx);
            }

            await c.ExecuteAsync("""
                INSERT INTO parties VALUES (@PartyId, @Seq, @IsOrg, @Prefix, @FirstName, @LastName, @OrgName, @FullName, @Email, @Status,
                  @MemberType, @JoinDate, @PaidThrough, @OrgPartyId, @Title, @HouseholdId, @Chapter, @UniformId, @CreatedOn, @UpdatedOn)
                """, parties, tx);
            await c.ExecuteAsync("""
                INSERT INTO invoices VALUES (@InvoiceId, @InvoiceNumber, @SoldTo, @BillTo, @InvoiceDate, @DueDate, @AmountCents, @BalanceCents,
                  @Description, @SourceSystem, @InvoiceType, @CreatedOn, @UpdatedOn)
                """, invoices, tx);
            await c.ExecuteAsync("""
                INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, unit_cents, amount_cents, begin_date, end_date, ship_to, tax_code, override_reason)
                VALUES (@InvoiceId, @LineNo, @ItemId, @Description, @Quantity, @UnitCents, @AmountCents, @BeginDate, @EndDate, @ShipTo, @TaxCode, @OverrideReason)
                """, lines, tx);
            await c.ExecuteAsync("INSERT INTO planted_defects (invoice_id, kind, description) VALUES (@InvoiceId, @Kind, @Description)", planted, tx);
            await c.ExecuteAsync("INSERT INTO receipts VALUES (@ReceiptId, @ReferenceNumber, @PayorPartyId, @MethodId, @AmountCents, @ReceiptDate, @CreatedOn, @UpdatedOn)", receipts, tx);
            await c.ExecuteAsync("INSERT INTO receipt_lines VALUES (@ReceiptId, @InvoiceId, @AmountCents)", receiptLines, tx);
            await c.ExecuteAsync("""
                INSERT INTO subscriptions VALUES (@PartyId, @ItemId, @Status, @BeginDate, @PaidThru, @BillBegin, @BillThrough, @BilledCents,
                  @BalanceCents, @InvoiceId, @BillTo, @UpdatedOn)
                """, subscriptions, tx);
            await c.ExecuteAsync("INSERT INTO sandbox_meta VALUES ('seeded', @v)", new { v = $"seed={options.Seed};members={members};asOf={asOf:O}" }, tx);
            await tx.CommitAsync();
        }
        finally
        {
            db.WriteLock.Release();
        }
    }

    /// <summary>
    /// Plants <paramref name="perKind"/> defects of each kind in unpaid invoices of the as-of year, each on
    /// its own invoice, and returns the manifest. The kinds are named as invoice validation names its
    /// findings: WrongTierRate (a person renewing billed another tier's product and rate),
    /// CorporateBilledAsIndividual (an organization billed DUES-REG), ProrationMismatch (a mid-year join
    /// billed the full year), MissingTax (an Ontario member's HST line dropped), DuplicateInvoice (a clean
    /// invoice issued again three days later; the copy is the defect) and ManualOverride (a renewal priced
    /// 10 % lower by hand, the line marked as overridden with a reason).
    /// </summary>
    private static List<PlantedRow> PlantDefects(int perKind, Randomizer random, DateOnly asOf, List<PartyRow> parties, HashSet<string> taxed,
        List<InvoiceRow> invoices, List<LineRow> lines, List<SubscriptionRow> subscriptions, ref int invoiceNumber)
    {
        var planted = new List<PlantedRow>();
        if (perKind <= 0) return planted;
        var partyById = parties.ToDictionary(p => p.PartyId);
        var linesOf = lines.ToLookup(l => l.InvoiceId);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var yearStart = new DateOnly(asOf.Year, 1, 1).ToString("O", CultureInfo.InvariantCulture);
        var open = invoices.Select((inv, i) => (inv, i))
            .Where(x => x.inv.BalanceCents == x.inv.AmountCents && string.CompareOrdinal(linesOf[x.inv.InvoiceId].First().BeginDate, yearStart) >= 0)
            .OrderBy(_ => random.Int())
            .ToList();

        IEnumerable<(InvoiceRow Invoice, int Index, PartyRow Party, LineRow Line)> Candidates(bool wantTaxed, Func<InvoiceRow, PartyRow, LineRow, bool> fits)
        {
            foreach (var (inv, i) in open)
            {
                if (used.Contains(inv.InvoiceId) || taxed.Contains(inv.SoldTo) != wantTaxed) continue;
                var party = partyById[inv.SoldTo];
                var line = linesOf[inv.InvoiceId].First();
                if (fits(inv, party, line)) yield return (inv, i, party, line);
            }
        }

        void Replace(int index, IReadOnlyList<LineRow> newLines, string kind, string description)
        {
            var inv = invoices[index];
            var total = newLines.Sum(l => l.AmountCents);
            invoices[index] = inv with { AmountCents = total, BalanceCents = total };
            lines.RemoveAll(l => l.InvoiceId == inv.InvoiceId);
            lines.AddRange(newLines);
            var sub = subscriptions.FindIndex(s => s.InvoiceId == inv.InvoiceId);
            if (sub >= 0) subscriptions[sub] = subscriptions[sub] with { BilledCents = total, BalanceCents = total };
            used.Add(inv.InvoiceId);
            planted.Add(new PlantedRow(inv.InvoiceId, kind, description));
        }

        static bool IsRenewal(InvoiceRow inv) => inv.InvoiceType == "MembershipRenewal";

        foreach (var (inv, i, party, line) in Candidates(false, (inv, p, _) => p.IsOrg == 0 && IsRenewal(inv)).Take(perKind).ToList())
        {
            var other = Tiers.First(t => t.Type == (party.MemberType == "REG" ? "RET" : "REG"));
            Replace(i, [line with { ItemId = other.ItemId, Description = $"{other.Name} dues {asOf.Year.ToString(CultureInfo.InvariantCulture)}", UnitCents = other.RateCents, AmountCents = other.RateCents }],
                "WrongTierRate", $"{party.MemberType} member billed {other.ItemId} at {Dollars(other.RateCents)}");
        }

        foreach (var (inv, i, _, line) in Candidates(false, (inv, p, _) => p.IsOrg == 1 && IsRenewal(inv)).Take(perKind).ToList())
        {
            var reg = Tiers.First(t => t.Type == "REG");
            Replace(i, [line with { ItemId = reg.ItemId, Description = $"{reg.Name} dues {asOf.Year.ToString(CultureInfo.InvariantCulture)}", UnitCents = reg.RateCents, AmountCents = reg.RateCents }],
                "CorporateBilledAsIndividual", $"organization billed {reg.ItemId} at {Dollars(reg.RateCents)}");
        }

        foreach (var (inv, i, party, line) in Candidates(false, (inv, _, l) => !IsRenewal(inv) && !l.BeginDate!.EndsWith("-01-01", StringComparison.Ordinal)).Take(perKind).ToList())
        {
            var full = Tiers.First(t => t.Type == party.MemberType).RateCents;
            Replace(i, [line with { UnitCents = full, AmountCents = full }], "ProrationMismatch", $"join from {line.BeginDate} billed the full year, {Dollars(full)}");
        }

        foreach (var (inv, i, _, line) in Candidates(true, (_, _, _) => true).Take(perKind).ToList())
            Replace(i, [line], "MissingTax", $"{TaxCode} line of {Dollars(inv.AmountCents - line.AmountCents)} dropped");

        foreach (var (inv, i, _, line) in Candidates(false, (inv, _, _) => IsRenewal(inv)).Take(perKind).ToList())
        {
            var cut = (long)Math.Round(line.AmountCents * 0.9m, MidpointRounding.AwayFromZero);
            Replace(i, [line with { UnitCents = cut, AmountCents = cut, OverrideReason = "Loyalty discount agreed by phone" }], "ManualOverride", $"price set by hand to {Dollars(cut)}");
        }

        foreach (var (inv, _, _, _) in Candidates(false, (inv, _, _) => DateOnly.ParseExact(inv.InvoiceDate, "O", CultureInfo.InvariantCulture).AddDays(3) <= asOf).Take(perKind).ToList())
        {
            var date = DateOnly.ParseExact(inv.InvoiceDate, "O", CultureInfo.InvariantCulture).AddDays(3);
            var stamp = Wire.Instant(new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero));
            var copyId = inv.InvoiceId.StartsWith("CASH:", StringComparison.Ordinal) ? $"CASH:{inv.SoldTo}:{date:yyyyMMdd}-2" : (invoiceNumber + 1).ToString(CultureInfo.InvariantCulture);
            invoices.Add(inv with
            {
                InvoiceId = copyId, InvoiceNumber = ++invoiceNumber, InvoiceDate = date.ToString("O", CultureInfo.InvariantCulture),
                DueDate = DateOnly.ParseExact(inv.DueDate, "O", CultureInfo.InvariantCulture).AddDays(3).ToString("O", CultureInfo.InvariantCulture),
                CreatedOn = stamp, UpdatedOn = stamp,
            });
            lines.AddRange(linesOf[inv.InvoiceId].Select(l => l with { InvoiceId = copyId }));
            used.Add(inv.InvoiceId);
            planted.Add(new PlantedRow(copyId, "DuplicateInvoice", $"copy of {inv.InvoiceId}"));
        }

        return planted;
    }

    private static string Dollars(long cents) => "$" + (cents / 100m).ToString("N2", CultureInfo.InvariantCulture);

    /// <summary>A partial payment: a whole-dollar share between 20% and 80% of the amount.</summary>
    private static long PartOf(long amount, Randomizer random) => Math.Max(100, amount * random.Int(20, 80) / 100 / 100 * 100);

    private static string TitleCase(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static List<string> ReadLines(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DuesPilot.ImisSandbox.Data." + file)
            ?? throw new InvalidOperationException($"Embedded name list {file} is missing.");
        using var reader = new StreamReader(stream);
        var all = new List<string>();
        while (reader.ReadLine() is { } line)
            if (line.Trim().Length > 0) all.Add(line.Trim());
        return all;
    }

    private static IEnumerable<string> ReadColumn(string file, int column) => ReadLines(file).Skip(1).Select(l => l.Split(',')[column]);

    internal sealed record PartyRow(string PartyId, long Seq, long IsOrg, string? Prefix, string? FirstName, string? LastName, string? OrgName, string FullName,
        string? Email, string Status, string MemberType, string? JoinDate, string? PaidThrough, string? OrgPartyId, string? Title, string? HouseholdId,
        string? Chapter, string UniformId, string CreatedOn, string UpdatedOn);

    internal sealed record InvoiceRow(string InvoiceId, long InvoiceNumber, string SoldTo, string BillTo, string InvoiceDate, string DueDate, long AmountCents,
        long BalanceCents, string Description, string SourceSystem, string InvoiceType, string CreatedOn, string UpdatedOn);

    internal sealed record LineRow(string InvoiceId, long LineNo, string ItemId, string Description, long Quantity, long UnitCents, long AmountCents,
        string? BeginDate, string? EndDate, string ShipTo, string? TaxCode, string? OverrideReason);

    internal sealed record PlantedRow(string InvoiceId, string Kind, string Description);

    internal sealed record ReceiptRow(long ReceiptId, string? ReferenceNumber, string PayorPartyId, string MethodId, long AmountCents, string ReceiptDate,
        string CreatedOn, string UpdatedOn);

    internal sealed record ReceiptLineRow(long ReceiptId, string InvoiceId, long AmountCents);

    internal sealed record SubscriptionRow(string PartyId, string ItemId, long Status, string? BeginDate, string? PaidThru, string? BillBegin, string? BillThrough,
        long BilledCents, long BalanceCents, string? InvoiceId, string BillTo, string UpdatedOn);
}
