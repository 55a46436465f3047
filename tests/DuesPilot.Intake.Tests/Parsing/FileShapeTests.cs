using System.Globalization;
using DuesPilot.Domain;
using DuesPilot.Features.Intake;
using DuesPilot.Features.Intake.BankFiles;

namespace DuesPilot.Intake.Tests.Parsing;

/// <summary>
/// Shapes banks really send, one small file per shape in <c>Shapes/</c> written for this test (BAI2
/// records wrapped without 88, several records on a line, blank padding; camt.052.001.01 to .08), each
/// with a <c>.expect</c> file beside it saying what must be read. Every file in the folder is checked,
/// so a new shape is covered by adding its two files.
/// </summary>
public sealed class FileShapeTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Shapes");

    public static TheoryData<string> Shapes()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Folder).Where(f => !f.EndsWith(".expect", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void EveryShape_HasItsExpectation_AndTheFolderHoldsBothFormats()
    {
        var files = Directory.EnumerateFiles(Folder).Select(Path.GetFileName).ToList();
        Assert.All(files.Where(f => !f!.EndsWith(".expect", StringComparison.Ordinal)), f => Assert.Contains(Path.ChangeExtension(f, ".expect"), files));
        Assert.Contains(files, f => f!.StartsWith("bai2-", StringComparison.Ordinal));
        for (var v = 1; v <= 8; v++) Assert.Contains($"camt052-v0{v}.xml", files);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Shape_IsReadAsItsExpectationSays(string name)
    {
        var expect = File.ReadAllLines(Path.Combine(Folder, Path.ChangeExtension(name, ".expect")))
            .Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), StringComparer.Ordinal);
        var content = File.ReadAllBytes(Path.Combine(Folder, name));
        Assert.Equal(expect["format"], ImportBankFile.Detect(content, name).ToString().ToLowerInvariant());
        var request = new ImportRequest(name, content);
        if (expect.TryGetValue("refused", out var refusal))
        {
            var ex = Assert.Throws<BankFileException>(() => ImportBankFile.Parse(request, []));
            Assert.Contains(refusal, ex.Message, StringComparison.Ordinal);
            return;
        }

        var file = ImportBankFile.Parse(request, []);
        Assert.All(file.Controls, c => Assert.True(c.Agrees, $"{c.Name} (line {c.Line}) states {c.Stated}, computed {c.Computed}"));
        Assert.Equal(int.Parse(expect["entries"], CultureInfo.InvariantCulture), file.Entries.Count);
        var payments = file.Entries.Where(e => e.Kind == BankEntryKind.Payment).ToList();
        var p = expect["payments"].Split(' ');
        Assert.Equal(int.Parse(p[0], CultureInfo.InvariantCulture), payments.Count);
        var currency = Currency.Parse(p[1]);
        Assert.Equal(Money.Parse(p[2], currency), Money.Sum(payments.Select(e => e.Amount), currency));
        var first = payments[0];
        if (expect.TryGetValue("payer", out var payer)) Assert.Equal(payer, first.PayerName);
        if (expect.TryGetValue("reference", out var reference)) Assert.Equal(reference, first.Reference);
        if (expect.TryGetValue("memo", out var memo)) Assert.Equal(memo, first.Memo);
        if (expect.TryGetValue("date", out var date)) Assert.Equal(DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture), first.Date);
    }
}
