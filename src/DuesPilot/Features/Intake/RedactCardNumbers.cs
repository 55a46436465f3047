using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DuesPilot.Features.Intake;

/// <summary>
/// The one card-number masker, used by intake (before anything is stored) and by the AI masking (before
/// text leaves the process). A card number is 13–19 digits that pass the Luhn check, written in one
/// piece or in groups split by up to three separators (spaces, tabs, dots, dashes, underscores, slashes,
/// no-break spaces), standing alone, or in one piece glued to letters (<c>cc4111111111111111</c>). Intake keeps the last
/// four digits and replaces the rest with <c>*</c> (the length of the text is unchanged). A run of more
/// than 19 digits in one piece is not a card number. A long reference that happens to pass the Luhn check
/// (one in ten) is masked too: the price of never storing a card number. Masking is deterministic, so a
/// reference masked here and the same reference masked elsewhere stay equal.
/// </summary>
public static class RedactCardNumbers
{
    /// <summary>Most separator characters between two digit groups of one card number ("4111  1111", "4111 - 1111").</summary>
    private const int MaxSeparatorRun = 3;

    private static readonly SearchValues<char> Separators = SearchValues.Create(" \t.-_/\u00A0\u2007\u2009\u202F\u2010\u2011\u2012\u2013\u2014");

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Where the card numbers in <paramref name="text"/> are: start and length, in order, not overlapping.</summary>
    public static IReadOnlyList<(int Start, int Length)> Find(string text)
    {
        List<(int Start, int Length)>? found = null;
        var groups = new List<(int Start, int Length)>();
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }

            // A run: digit groups joined by short separator runs.
            groups.Clear();
            while (true)
            {
                var start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                groups.Add((start, i - start));
                var sep = i;
                while (sep < text.Length && sep - i < MaxSeparatorRun + 1 && Separators.Contains(text[sep])) sep++;
                if (sep == i || sep - i > MaxSeparatorRun || sep >= text.Length || !char.IsAsciiDigit(text[sep])) break;
                i = sep;
            }

            MarkCards(text, groups, ref found);
        }

        return (IReadOnlyList<(int, int)>?)found ?? [];
    }

    private static void MarkCards(string text, List<(int Start, int Length)> groups, ref List<(int Start, int Length)>? found)
    {
        Span<char> digits = stackalloc char[19];
        var coveredUntil = -1;
        for (var a = 0; a < groups.Count; a++)
        {
            var n = 0;
            for (var b = a; b < groups.Count; b++)
            {
                var (start, length) = groups[b];
                if (n + length > 19) break;
                text.AsSpan(start, length).CopyTo(digits[n..]);
                n += length;
                if (n < 13 || !Luhn(digits[..n])) continue;
                var from = groups[a].Start;
                var to = start + length;
                // Glued to letters, only an unbroken run counts: "cc4111111111111111" is a card, the tail of a GUID
                // ("…-9f01-234567890123") is not.
                if (b > a && ((from > 0 && char.IsAsciiLetter(text[from - 1])) || (to < text.Length && char.IsAsciiLetter(text[to])))) continue;
                found ??= [];
                if (from < coveredUntil)
                {
                    // Overlaps the previous card span: extend it.
                    var last = found[^1];
                    to = Math.Max(to, last.Start + last.Length);
                    found[^1] = (last.Start, to - last.Start);
                }
                else
                {
                    found.Add((from, to - from));
                }

                coveredUntil = Math.Max(coveredUntil, to);
            }
        }
    }

    /// <summary>The text with every card number's digits but the last four replaced by <c>*</c>; the same instance when there is none.</summary>
    public static string Run(string text)
    {
        var spans = Find(text);
        if (spans.Count == 0) return text;
        var chars = text.ToCharArray();
        foreach (var (start, length) in spans)
        {
            var total = 0;
            for (var k = start; k < start + length; k++) if (char.IsAsciiDigit(chars[k])) total++;
            var seen = 0;
            for (var k = start; k < start + length; k++)
            {
                if (char.IsAsciiDigit(chars[k]) && seen++ < total - 4) chars[k] = '*';
            }
        }

        return new string(chars);
    }

    /// <summary>Null stays null; otherwise <see cref="Run(string)"/>.</summary>
    public static string? RunOrNull(string? text) => text is null ? null : Run(text);

    /// <summary>
    /// A stored body with card numbers masked. JSON is decoded first and re-written with every string
    /// value, property name and long integer masked, so escapes (<c>"\u0034111…"</c>) cannot hide a number;
    /// other UTF-8 text is masked as text. The same array comes back when there was nothing to mask.
    /// </summary>
    public static byte[] Run(byte[] body)
    {
        if (VerifyStripeSignature.Decode(body) is not { } text) return body;
        if (TryMaskJson(body, out var json)) return json ?? body;
        var redacted = Run(text);
        return ReferenceEquals(redacted, text) ? body : Encoding.UTF8.GetBytes(redacted);
    }

    /// <summary>Masks a JSON document; false when <paramref name="body"/> is not JSON. <paramref name="masked"/> is null when nothing needed masking.</summary>
    public static bool TryMaskJson(ReadOnlySpan<byte> body, out byte[]? masked)
    {
        masked = null;
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
            if (!JsonDocument.TryParseValue(ref reader, out var parsed) || parsed is null) return false;
            doc = parsed;
            if (reader.BytesConsumed < body.Length && body[(int)reader.BytesConsumed..].IndexOfAnyExcept(" \t\r\n"u8) >= 0)
            {
                doc.Dispose();
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }

        using (doc)
        {
            masked = MaskJson(doc.RootElement, body.Length);
            return true;
        }
    }

    /// <summary>
    /// A parsed JSON document re-written with its card numbers masked, or null when nothing needs masking
    /// (the common case: the caller stores the bytes it parsed, with no re-serialisation).
    /// </summary>
    public static byte[]? MaskJson(JsonElement root, int sizeHint)
    {
        if (!NeedsMasking(root)) return null;
        var buffer = new ArrayBufferWriter<byte>(sizeHint + 16);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Write(writer, root);
        return buffer.WrittenSpan.ToArray();
    }

    private static bool NeedsMasking(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Find(e.GetString()!).Count > 0,
        JsonValueKind.Number => Find(e.GetRawText()).Count > 0,
        JsonValueKind.Array => e.EnumerateArray().Any(NeedsMasking),
        JsonValueKind.Object => e.EnumerateObject().Any(p => Find(p.Name).Count > 0 || NeedsMasking(p.Value)),
        _ => false,
    };

    private static void Write(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                w.WriteStringValue(Run(e.GetString()!));
                break;
            case JsonValueKind.Number:
                // A card number sent as a JSON number becomes a masked string: no amount or date is 13+ digits.
                var raw = e.GetRawText();
                if (Find(raw).Count > 0) w.WriteStringValue(Run(raw));
                else w.WriteRawValue(raw, skipInputValidation: true);
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray()) Write(w, item);
                w.WriteEndArray();
                break;
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject())
                {
                    w.WritePropertyName(Run(p.Name));
                    Write(w, p.Value);
                }

                w.WriteEndObject();
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }

    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }
}
