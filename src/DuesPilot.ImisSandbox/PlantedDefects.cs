using Dapper;

namespace DuesPilot.ImisSandbox;

/// <summary>A billing defect the seeder planted on purpose: invoice validation must report <paramref name="Kind"/> on <paramref name="InvoiceId"/>.</summary>
/// <param name="Kind">Named as validation names its findings: WrongTierRate, CorporateBilledAsIndividual, ProrationMismatch, MissingTax, DuplicateInvoice, ManualOverride.</param>
public sealed record PlantedInvoiceDefect(string InvoiceId, string Kind, string Description);

/// <summary>The manifest of planted defects, kept in the sandbox database so it survives restarts.</summary>
internal static class PlantedDefects
{
    public static async Task<IReadOnlyList<PlantedInvoiceDefect>> ReadAsync(SandboxDb db)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<(string InvoiceId, string Kind, string Description)>(
            "SELECT invoice_id, kind, description FROM planted_defects ORDER BY kind, invoice_id");
        return rows.Select(r => new PlantedInvoiceDefect(r.InvoiceId, r.Kind, r.Description)).ToList();
    }
}
