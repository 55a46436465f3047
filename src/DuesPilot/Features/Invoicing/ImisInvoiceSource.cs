using DuesPilot.Domain;
using DuesPilot.Domain.Proration;
using DuesPilot.Imis;

namespace DuesPilot.Features.Invoicing;

/// <summary>
/// Reads a validation batch from iMIS through the connector: every member (Party) and every dues invoice
/// with its lines, page by page. Lines priced by hand (<see cref="ImisInvoice.PriceOverrides"/>) become
/// <see cref="LineOverride"/>s. iMIS gives DuesPilot no tax jurisdiction on the party, so a member's
/// jurisdiction is read from the tax categories on their invoice lines (see <see cref="JurisdictionOf"/>).
/// </summary>
public sealed class ImisInvoiceSource(IImisClient client, BillingPolicy policy, string description, IProgress<ImisReadProgress>? progress = null) : IInvoiceSource
{
    public string Description => description;

    public async Task<InvoiceBatch> LoadAsync(CancellationToken ct)
    {
        var members = new List<Member>();
        for (var offset = 0; ;)
        {
            var page = await client.ReadMembersPageAsync(null, offset, ct);
            members.AddRange(page.Items.Select(m => m.Member));
            progress?.Report(new ImisReadProgress("members", members.Count, page.TotalCount));
            if (!page.HasNext || page.Items.Count == 0) break;
            offset = page.NextOffset;
        }

        var invoices = new List<Invoice>();
        var overrides = new List<LineOverride>();
        for (var offset = 0; ;)
        {
            var page = await client.ReadInvoicesPageAsync(new InvoiceQuery(DuesOnly: true), offset, ct);
            foreach (var i in page.Items)
            {
                invoices.Add(i.Invoice);
                overrides.AddRange(i.PriceOverrides.Select(o => new LineOverride(i.Invoice.Id, o.LineIndex, o.Reason)));
            }

            progress?.Report(new ImisReadProgress("invoices", invoices.Count, page.TotalCount));
            if (!page.HasNext || page.Items.Count == 0) break;
            offset = page.NextOffset;
        }

        var jurisdictions = new Dictionary<MemberId, string>();
        foreach (var g in invoices.GroupBy(i => i.MemberId))
            if (JurisdictionOf(policy, g) is { } j) jurisdictions[g.Key] = j;
        return new InvoiceBatch(members, invoices, jurisdictions, overrides);
    }

    /// <summary>
    /// The tax jurisdiction a member's invoices show: the jurisdiction of the first policy tax rule whose
    /// tax code one of their lines carries. Null (the policy's default jurisdiction) when none does.
    /// </summary>
    public static string? JurisdictionOf(BillingPolicy policy, IEnumerable<Invoice> invoices)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(invoices);
        foreach (var invoice in invoices)
            foreach (var line in invoice.Lines)
                if (line.TaxCode is { } code && policy.Taxes.FirstOrDefault(t => string.Equals(t.TaxCode, code, StringComparison.OrdinalIgnoreCase)) is { } rule)
                    return rule.Jurisdiction;
        return null;
    }
}

/// <summary>How far reading from iMIS has got: <paramref name="Phase"/> is "members" or "invoices".</summary>
public sealed record ImisReadProgress(string Phase, int Done, int Total);
