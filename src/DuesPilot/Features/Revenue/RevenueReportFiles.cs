using System.Globalization;
using System.Net;
using System.Text;
using DuesPilot.Domain;

namespace DuesPilot.Features.Revenue;

/// <summary>Writes a <see cref="BuildRevenueReport.Report"/> for the board: two CSV files and one self-contained HTML page with an inline SVG chart.</summary>
public static class RevenueReportFiles
{
    public const string RollForwardCsv = "deferred-rollforward.csv";
    public const string ByTierCsv = "revenue-by-tier.csv";
    public const string Html = "revenue-report.html";

    /// <summary>Tier colours, in tier order; repeated when there are more tiers than colours.</summary>
    private static readonly string[] Palette = ["#2f6690", "#3a7ca5", "#81c3d7", "#d9a441", "#b5473a", "#6a994e", "#7b5ea7", "#8d99ae"];

    public static async Task<IReadOnlyList<string>> WriteAsync(BuildRevenueReport.Report report, string directory, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var files = new[] { Path.Combine(directory, RollForwardCsv), Path.Combine(directory, ByTierCsv), Path.Combine(directory, Html) };
        await File.WriteAllTextAsync(files[0], RollForwardCsvText(report), ct);
        await File.WriteAllTextAsync(files[1], ByTierCsvText(report), ct);
        await File.WriteAllTextAsync(files[2], HtmlText(report), ct);
        return files;
    }

    public static string RollForwardCsvText(BuildRevenueReport.Report report)
    {
        var sb = new StringBuilder("month,currency,opening,billed,recognised,refunded,closing,closed\n");
        foreach (var r in report.RollForward)
            sb.Append(CultureInfo.InvariantCulture, $"{r.Month},{r.Opening.Currency.Code},{r.Opening.ToPlainString()},{r.Billed.ToPlainString()},{r.Recognised.ToPlainString()},{r.Refunded.ToPlainString()},{r.Closing.ToPlainString()},{(r.Closed ? "yes" : "no")}\n");
        return sb.ToString();
    }

    public static string ByTierCsvText(BuildRevenueReport.Report report)
    {
        var sb = new StringBuilder("month,tier,currency,recognised\n");
        foreach (var r in report.ByTier)
            sb.Append(CultureInfo.InvariantCulture, $"{r.Month},{Csv(r.Tier)},{r.Recognised.Currency.Code},{r.Recognised.ToPlainString()}\n");
        return sb.ToString();
    }

    public static string HtmlText(BuildRevenueReport.Report report)
    {
        var currency = report.Request.Currency;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dues revenue ")
          .Append(E($"{report.Request.From} to {report.Request.To}")).Append("</title>\n")
          .Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}")
          .Append("th,td{border:1px solid #ccc;padding:.3rem .6rem}td.n{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600}</style></head><body>\n")
          .Append("<h1>Dues revenue, ").Append(E($"{report.Request.From} to {report.Request.To}")).Append("</h1>\n");
        sb.Append(Chart(report));
        sb.Append("<table><caption>Deferred dues roll-forward (opening + billed − recognised − refunded = closing)</caption>\n")
          .Append("<tr><th>Month</th><th>Opening</th><th>Billed</th><th>Recognised</th><th>Refunded</th><th>Closing</th><th>Closed</th></tr>\n");
        foreach (var r in report.RollForward)
            sb.Append("<tr><td>").Append(r.Month).Append("</td>")
              .Append(N(r.Opening)).Append(N(r.Billed)).Append(N(r.Recognised)).Append(N(r.Refunded)).Append(N(r.Closing))
              .Append("<td>").Append(r.Closed ? "yes" : "not yet").Append("</td></tr>\n");
        sb.Append("</table>\n<table><caption>Recognised revenue by month and tier</caption>\n<tr><th>Month</th>");
        var tiers = report.Tiers;
        foreach (var t in tiers) sb.Append("<th>").Append(E(t)).Append("</th>");
        sb.Append("<th>Total</th></tr>\n");
        foreach (var r in report.RollForward)
        {
            sb.Append("<tr><td>").Append(r.Month).Append("</td>");
            foreach (var t in tiers)
                sb.Append(N(Money.Sum(report.ByTier.Where(x => x.Month == r.Month && x.Tier == t).Select(x => x.Recognised), currency)));
            sb.Append(N(r.Recognised)).Append("</tr>\n");
        }

        sb.Append("</table>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Recognised revenue per month as stacked bars, one colour per tier.</summary>
    private static string Chart(BuildRevenueReport.Report report)
    {
        const int width = 760, height = 280, left = 70, bottom = 40, top = 20;
        var months = report.RollForward.Select(r => r.Month).ToList();
        var tiers = report.Tiers;
        var max = Math.Max(1, report.RollForward.Select(r => r.Recognised.MinorUnits).DefaultIfEmpty(0).Max());
        var plotHeight = height - bottom - top;
        var slot = (width - left - 10) / (decimal)Math.Max(1, months.Count);
        var bar = slot * 0.7m;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height + 20 * ((tiers.Count + 3) / 4)}\" role=\"img\" aria-label=\"Recognised dues revenue by month and tier\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - 10}\" y2=\"{height - bottom}\" stroke=\"#999\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{top + 4}\" font-size=\"11\" text-anchor=\"end\">{E(Money.FromMinor(max, report.Request.Currency).ToDisplayString())}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{height - bottom}\" font-size=\"11\" text-anchor=\"end\">0</text>\n");
        for (var i = 0; i < months.Count; i++)
        {
            var x = left + slot * i + (slot - bar) / 2;
            decimal y = height - bottom;
            for (var t = 0; t < tiers.Count; t++)
            {
                var amount = report.ByTier.Where(r => r.Month == months[i] && r.Tier == tiers[t]).Sum(r => r.Recognised.MinorUnits);
                if (amount == 0) continue;
                var h = (decimal)amount / max * plotHeight;
                y -= h;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{bar:F1}\" height=\"{h:F1}\" fill=\"{Palette[t % Palette.Length]}\"><title>{months[i]} {E(tiers[t])}: {E(Money.FromMinor(amount, report.Request.Currency).ToDisplayString())}</title></rect>\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + bar / 2:F1}\" y=\"{height - bottom + 14}\" font-size=\"10\" text-anchor=\"middle\">{months[i]}</text>\n");
        }

        for (var t = 0; t < tiers.Count; t++)
        {
            var lx = left + 150 * (t % 4);
            var ly = height + 20 * (t / 4);
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx}\" y=\"{ly - 10}\" width=\"12\" height=\"12\" fill=\"{Palette[t % Palette.Length]}\"/><text x=\"{lx + 16}\" y=\"{ly}\" font-size=\"12\">{E(tiers[t])}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string N(Money m) => "<td class=\"n\">" + E(m.ToDisplayString()) + "</td>";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Csv(string text) => text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
