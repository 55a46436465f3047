using System.Text;

namespace DuesPilot.Features.Invoicing;

/// <summary>A golden-dataset file that cannot be read; the message names the file, the row and the column.</summary>
public sealed class DatasetException(string message) : Exception(message);

/// <summary>
/// An RFC 4180 CSV file read into memory: a header row, then records. Columns are found by name
/// (case-insensitive); unknown extra columns are ignored, a missing required one is an error naming
/// the file and the column, as the golden-dataset format says.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(string name, Dictionary<string, int> columns, List<string[]> rows)
    {
        Name = name;
        _columns = columns;
        Rows = rows;
    }

    public string Name { get; }
    public IReadOnlyList<string[]> Rows { get; }

    public static CsvTable Read(string path, params string[] required)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found");
        var records = Parse(File.ReadAllText(path, Encoding.UTF8), Path.GetFileName(path));
        if (records.Count == 0) throw new DatasetException($"{Path.GetFileName(path)}: no header row");
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < records[0].Length; i++) columns.TryAdd(records[0][i].Trim(), i);
        foreach (var r in required)
            if (!columns.ContainsKey(r)) throw new DatasetException($"{Path.GetFileName(path)}: missing required column '{r}'");
        records.RemoveAt(0);
        records.RemoveAll(r => r.Length == 1 && r[0].Length == 0);
        return new CsvTable(Path.GetFileName(path), columns, records);
    }

    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>The trimmed value, or null when the column is absent or the cell blank.</summary>
    public string? Get(string[] row, string column)
    {
        if (!_columns.TryGetValue(column, out var i) || i >= row.Length) return null;
        var v = row[i].Trim();
        return v.Length == 0 ? null : v;
    }

    public string Require(string[] row, int rowNumber, string column) =>
        Get(row, column) ?? throw new DatasetException($"{Name} row {rowNumber}: '{column}' is blank");

    private static List<string[]> Parse(string text, string name)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else inQuotes = false;
                }
                else field.Append(c);
                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    inQuotes = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add(fields.ToArray());
                    fields.Clear();
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (inQuotes) throw new DatasetException($"{name}: a quoted field is not closed before the end of the file");
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add(fields.ToArray());
        }

        return records;
    }

    /// <summary>Quotes a value for CSV output when it needs it.</summary>
    public static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static string Line(params string?[] values) => string.Join(',', values.Select(Quote));
}
