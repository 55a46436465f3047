using DuesPilot.Domain;
using DuesPilot.Features.Invoicing;
using DuesPilot.Tooling.Invoicing;

namespace DuesPilot.Invoicing.Tests;

public sealed class GoldenDatasetInvoicesTests
{
    private static string Folder(params (string Name, string Text)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("duespilot-golden-").FullName;
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
        return dir;
    }

    private const string Members = """
        member_id,kind,full_name,first_name,last_name,email,organization_id,household_id,chapter_id,member_type,join_date,paid_through,status
        23179,person,"Smith, Robert J.",Robert,Smith,rs@example.org,,,NYC,REG,2015-04-02,2026-12-31,A
        20017,organization,"Acme Widgets, Inc.",,,,,,,CORP,2010-01-01,2026-12-31,A
        """;

    [Fact]
    public void Load_FormatFilesWithoutLines_ReadsOneLinePerInvoiceAndValidatesClean()
    {
        var dir = Folder(("members.csv", Members), ("invoices.csv", """
            invoice_id,member_id,invoice_date,due_date,amount,balance,product_code,description
            281873,23179,2026-11-15,2026-12-31,395.00,395.00,DUES-REG,2027 Regular dues
            281875,20017,2026-11-15,2026-12-31,2500.00,2500.00,DUES-CORP,"2027 Corporate dues, Acme"
            """));
        var batch = new GoldenDatasetInvoices(dir).Load();
        Assert.Equal("Smith, Robert J.", batch.Members[0].FullName);
        Assert.Equal(PartyKind.Organization, batch.Members[1].Kind);
        Assert.All(batch.Invoices, i => Assert.Single(i.Lines));
        Assert.Empty(ValidateInvoices.Run(LoadBillingPolicy.Example(), batch).Flagged);
    }

    [Fact]
    public void Load_LinesFileWithOverrideAndJurisdiction_AreRead()
    {
        var dir = Folder(("members.csv", Members.Replace("status", "status,jurisdiction", StringComparison.Ordinal).Replace(",A\n", ",A,ON\n", StringComparison.Ordinal)),
            ("invoices.csv", "invoice_id,member_id,invoice_date,due_date,amount,balance,product_code,description\n1,23179,2026-11-15,2026-12-31,406.85,406.85,DUES-REG,dues\n"),
            ("invoice_lines.csv", "invoice_id,line_no,product_code,amount,tax_code,override,override_reason\n1,2,TAX,51.35,HST-ON,,\n1,1,DUES-REG,355.50,HST-ON,true,\n"));
        var batch = new GoldenDatasetInvoices(dir).Load();
        Assert.Equal("ON", batch.Jurisdictions[new MemberId("23179")]);
        Assert.Equal(["DUES-REG", "TAX"], batch.Invoices[0].Lines.Select(l => l.ProductCode));
        Assert.Equal(new LineOverride(new InvoiceId("1"), 0, ""), Assert.Single(batch.Overrides));
    }

    [Fact]
    public void Load_MissingRequiredColumn_NamesFileAndColumn()
    {
        var dir = Folder(("members.csv", Members), ("invoices.csv", "invoice_id,member_id,invoice_date,amount,balance,product_code,description\n"));
        var ex = Assert.Throws<DatasetException>(() => new GoldenDatasetInvoices(dir).Load());
        Assert.Equal("invoices.csv: missing required column 'due_date'", ex.Message);
    }

    [Fact]
    public void Load_BadAmount_NamesRowAndColumn()
    {
        var dir = Folder(("members.csv", Members), ("invoices.csv", "invoice_id,member_id,invoice_date,due_date,amount,balance,product_code,description\n1,23179,2026-11-15,2026-12-31,39.5.0,0,DUES-REG,x\n"));
        var ex = Assert.Throws<DatasetException>(() => new GoldenDatasetInvoices(dir).Load());
        Assert.StartsWith("invoices.csv row 2: amount '39.5.0'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteThenLoad_GeneratedBatchWithDefects_RoundTrips()
    {
        var policy = LoadBillingPolicy.Example();
        var planted = PlantInvoiceDefects.Plant(policy, GenerateInvoiceBatch.Create(policy, 300, 2, 2027), 1, 2);
        var dir = Directory.CreateTempSubdirectory("duespilot-golden-").FullName;
        WriteInvoiceDataset.ToFolder(planted.Batch, dir);
        var back = new GoldenDatasetInvoices(dir).Load();
        Assert.Equal(planted.Batch.Invoices.Count, back.Invoices.Count);
        Assert.Equal(planted.Batch.Overrides, back.Overrides);
        var a = ValidateInvoices.Run(policy, planted.Batch).Flagged.Select(r => r.Invoice.Id.Value);
        var b = ValidateInvoices.Run(policy, back).Flagged.Select(r => r.Invoice.Id.Value);
        Assert.Equal(a, b);
    }
}
